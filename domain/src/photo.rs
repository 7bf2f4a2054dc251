//! Photos with a case (照片): what a resident shows with a request, what a
//! unit shows before and after the work (整改前后). Who may add which,
//! how many, who sees them and how big they are kept.

use crate::case::Status;
use serde::{Deserialize, Serialize};

stored_enum! {
    /// When in the case's life a photo was taken.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum PhotoStage {
        /// The problem as reported (the resident's, or taken at intake).
        Report = "report",
        /// Work under way.
        Progress = "progress",
        /// 整改前: the state the unit found.
        Before = "before",
        /// 整改后: the state the unit left, the evidence for closure.
        After = "after",
    }
}

/// Files in one upload: a step's evidence, not an album.
pub const PER_UPLOAD: usize = 6;
/// Photos a case may hold in all, so one case cannot fill the disk.
pub const PER_CASE: i64 = 30;
/// Uploads a resident may send for one case in an hour, from whatever
/// address: each is decoded (a core for up to a second), so a case's PIN
/// must not buy unlimited work.
pub const RESIDENT_UPLOADS_PER_HOUR: u32 = 20;
/// The largest file accepted: a phone camera's full-size JPEG is 3–8 MB.
pub const MAX_FILE_BYTES: usize = 15 * 1024 * 1024;
/// The largest picture decoded (pixels along either edge): beyond any
/// phone camera, and a bound on the memory a crafted file can ask for.
pub const MAX_EDGE: u32 = 12_000;
/// The kept photo's longer edge: sharp on a desktop screen, a few hundred KB.
pub const FULL_EDGE: u32 = 1600;
/// The thumbnail's longer edge: a list on a phone.
pub const THUMB_EDGE: u32 = 320;

/// Why a photo cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// More files in one upload than [`PER_UPLOAD`].
    TooMany,
    /// The case would hold more than [`PER_CASE`].
    CaseFull,
    /// A resident adds photos to their request, not to a closed case.
    Closed,
    /// Residents show the problem; the stages of the work are the unit's.
    Stage,
}

impl Refusal {
    /// The message key (the field is always `photo`).
    pub fn key(self) -> &'static str {
        match self {
            Self::TooMany => "too_many_photos",
            Self::CaseFull => "case_full",
            Self::Closed => "closed_case",
            Self::Stage => "stage_not_yours",
        }
    }
}

/// Whether `files` photos of `stage` may join a case in `status` that
/// holds `held` already; `by_resident` for the resident's own page.
pub fn may_add(
    by_resident: bool,
    stage: PhotoStage,
    status: Status,
    held: i64,
    files: usize,
) -> Result<(), Refusal> {
    if files > PER_UPLOAD {
        return Err(Refusal::TooMany);
    }
    if held + files as i64 > PER_CASE {
        return Err(Refusal::CaseFull);
    }
    if by_resident {
        if stage != PhotoStage::Report {
            return Err(Refusal::Stage);
        }
        if status == Status::Closed {
            return Err(Refusal::Closed);
        }
    }
    Ok(())
}

/// The size a `width`×`height` picture is kept at so that its longer edge
/// is at most `edge`, aspect kept; never enlarged.
pub fn fit(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= edge {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(edge) + u64::from(longer) / 2) / u64::from(longer)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

/// A photo as a case page lists it; the pictures are at `/photos/{id}` and
/// `/photos/{id}/small`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoInfo {
    pub id: i64,
    pub stage: PhotoStage,
    /// Sent by the resident from their case page.
    pub by_resident: bool,
    /// Staff have checked it shows no faces, plates or doors: the
    /// resident's page shows it.
    pub public: bool,
    pub width: u32,
    pub height: u32,
    pub added_at: chrono::DateTime<chrono::Utc>,
}

impl PhotoInfo {
    /// What a resident's page shows: their own photos, and those staff
    /// made public.
    pub fn shown_to_resident(&self) -> bool {
        self.by_resident || self.public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_read_back() {
        for s in PhotoStage::ALL {
            assert_eq!(PhotoStage::parse(s.as_str()), Some(s));
        }
        assert_eq!(PhotoStage::parse("selfie"), None);
    }

    #[test]
    fn residents_add_report_photos_to_open_cases_only() {
        assert_eq!(
            may_add(true, PhotoStage::Report, Status::Registered, 0, 3),
            Ok(())
        );
        assert_eq!(
            may_add(true, PhotoStage::Report, Status::AwaitingRating, 0, 1),
            Ok(())
        );
        assert_eq!(
            may_add(true, PhotoStage::Report, Status::Closed, 0, 1),
            Err(Refusal::Closed)
        );
        assert_eq!(
            may_add(true, PhotoStage::After, Status::InProgress, 0, 1),
            Err(Refusal::Stage)
        );
        // Staff keep adding evidence to a closed case (an inspection after).
        assert_eq!(
            may_add(false, PhotoStage::After, Status::Closed, 0, 1),
            Ok(())
        );
    }

    #[test]
    fn uploads_and_cases_are_bounded() {
        assert_eq!(
            may_add(
                false,
                PhotoStage::Before,
                Status::InProgress,
                0,
                PER_UPLOAD + 1
            ),
            Err(Refusal::TooMany)
        );
        assert_eq!(
            may_add(
                false,
                PhotoStage::Before,
                Status::InProgress,
                PER_CASE - 2,
                2
            ),
            Ok(())
        );
        assert_eq!(
            may_add(
                false,
                PhotoStage::Before,
                Status::InProgress,
                PER_CASE - 2,
                3
            ),
            Err(Refusal::CaseFull)
        );
    }

    #[test]
    fn pictures_shrink_to_the_edge_and_never_grow() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit(800, 600, 1600), (800, 600));
        assert_eq!(fit(1600, 1600, 320), (320, 320));
        // A sliver stays at least a pixel wide.
        assert_eq!(fit(12_000, 1, 320), (320, 1));
    }

    #[test]
    fn residents_see_their_own_and_the_published() {
        let p = |by_resident, public| PhotoInfo {
            id: 1,
            stage: PhotoStage::Report,
            by_resident,
            public,
            width: 1,
            height: 1,
            added_at: chrono::DateTime::UNIX_EPOCH,
        };
        assert!(p(true, false).shown_to_resident());
        assert!(p(false, true).shown_to_resident());
        assert!(!p(false, false).shown_to_resident());
    }
}
