//! Step 1: what a new request must carry, and the checks on it.

use serde::{Deserialize, Serialize};

pub const MAX_TITLE: usize = 60;
pub const MAX_DESCRIPTION: usize = 2000;
/// Open311 GeoReport v2 allows descriptions of up to 4,000 characters.
pub const MAX_API_DESCRIPTION: usize = 4000;
pub const MAX_NAME: usize = 30;

stored_enum! {
    /// Where a request came from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Source {
        /// 接待日/联系群众活动
        StationSession = "station_session",
        WalkIn = "walk_in",
        /// 网格员走访
        GridVisit = "grid_visit",
        Phone = "phone",
        Online = "online",
        /// Through the Open311 API, from a city's or a third party's app.
        Open311 = "open311",
    }
}

impl Source {
    /// Requests a resident wrote for the public (online, or through an
    /// Open311 app), whose words may be republished once redacted; what
    /// was said at a desk, a session, a visit or on the phone was not.
    pub fn published_by_resident(self) -> bool {
        matches!(self, Self::Online | Self::Open311)
    }

    /// What staff may record at intake: requests through the API arrive by themselves.
    pub const AT_INTAKE: [Source; 5] = [
        Self::StationSession,
        Self::WalkIn,
        Self::GridVisit,
        Self::Phone,
        Self::Online,
    ];
}

crate::form! {
    /// A request as typed at intake, before it has a tracking code.
    #[derive(Serialize, Deserialize)]
    pub struct NewCase from RawCase {
        title: text,
        description: text,
        category_id: id,
        region_id: id,
        /// The station it was raised at; none for a grid visit or a call.
        station_id: pick,
        source: choice(Source),
        resident_name: text,
        resident_phone: text,
        /// Where the resident would rather have their messages (empty: none).
        #[serde(default)]
        resident_email: text,
        /// The resident agreed to messages as the case moves (短信通知): by
        /// e-mail when they gave an address, else by text.
        #[serde(default)]
        notify: flag,
    }
}

/// A problem with one form field; `message` is a key the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: &str) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub(crate) fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, "required"));
    } else if n > max {
        errors.push(FieldError::new(field, "too_long"));
    }
}

/// Digits with optional spaces, dashes or a leading +; 7 to 15 digits.
pub fn phone_is_valid(phone: &str) -> bool {
    let p = phone.trim();
    let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
    let allowed = p
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (i == 0 && c == '+'));
    allowed && (7..=15).contains(&digits)
}

impl NewCase {
    /// A title made from a description: its first line, cut to 30 characters.
    pub fn title_from(description: &str) -> String {
        let first_line = description.trim().lines().next().unwrap_or_default();
        let mut title: String = first_line.chars().take(30).collect();
        if first_line.chars().count() > 30 {
            title.push('…');
        }
        title
    }

    /// Every problem at once, so a form can mark all its bad fields together.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "title", &self.title, MAX_TITLE);
        let api = self.source == Source::Open311;
        let max_description = if api {
            MAX_API_DESCRIPTION
        } else {
            MAX_DESCRIPTION
        };
        check_text(
            &mut errors,
            "description",
            &self.description,
            max_description,
        );
        // Open311 lets people report anonymously; everywhere else the loop
        // needs someone to give feedback to.
        if !(api && self.resident_name.trim().is_empty()) {
            check_text(&mut errors, "resident_name", &self.resident_name, MAX_NAME);
        }
        let email = self.resident_email.trim();
        if self.resident_phone.trim().is_empty() {
            // Messages need somewhere to go, even where a number is optional.
            if !api || (self.notify && email.is_empty()) {
                errors.push(FieldError::new("resident_phone", "required"));
            }
        } else if !phone_is_valid(&self.resident_phone) {
            errors.push(FieldError::new("resident_phone", "invalid_phone"));
        }
        if !email.is_empty()
            && let Err(e) = crate::account::check_email(email)
        {
            errors.push(FieldError::new("resident_email", &e.message));
        }
        errors
    }

    /// Trimmed copy for storage.
    pub fn normalised(&self) -> Self {
        Self {
            title: clean_line(&self.title),
            description: clean_text(&self.description),
            resident_name: clean_line(&self.resident_name),
            resident_phone: clean_line(&self.resident_phone),
            resident_email: self.resident_email.trim().to_string(),
            ..self.clone()
        }
    }
}

/// Text as it may be kept and republished: control characters (which make
/// an XML feed ill-formed and can hide text in a terminal or a log) are
/// dropped, line breaks become `\n`, tabs spaces; trimmed.
pub fn clean_text(raw: &str) -> String {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    unified
        .chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if is_bidi_control(c) || c.is_control() => None,
            c => Some(c),
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A bidirectional embedding, override or isolate: it turns text around on
/// screen.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`clean_text`] on one line: line breaks become spaces.
pub fn clean_line(raw: &str) -> String {
    clean_text(raw).replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_what_is_kept() {
        let mut new = ok();
        new.description = "路灯\u{0}坏了\u{7}\r\n第二行\u{1b}[31m\t完\u{202e}".into();
        new.title = "标题\n第二行\u{8}".into();
        new.resident_name = " 王丽华\u{0} ".into();
        let kept = new.normalised();
        assert_eq!(kept.description, "路灯坏了\n第二行[31m 完");
        assert_eq!(kept.title, "标题 第二行");
        assert_eq!(kept.resident_name, "王丽华");
        assert!(
            kept.description
                .chars()
                .all(|c| c == '\n' || !c.is_control())
        );
    }

    fn ok() -> NewCase {
        NewCase {
            title: "路灯不亮".into(),
            description: "3号楼前路灯坏了一周".into(),
            category_id: 1,
            region_id: 1,
            station_id: None,
            source: Source::WalkIn,
            resident_name: "王丽华".into(),
            resident_phone: "13812345678".into(),
            resident_email: String::new(),
            notify: false,
        }
    }

    #[test]
    fn open311_requests_may_be_anonymous_and_longer() {
        let anonymous = NewCase {
            source: Source::Open311,
            resident_name: String::new(),
            resident_phone: String::new(),
            description: "字".repeat(MAX_API_DESCRIPTION),
            ..ok()
        };
        assert!(anonymous.validate().is_empty());
        let too_long = NewCase {
            description: "字".repeat(MAX_API_DESCRIPTION + 1),
            ..anonymous.clone()
        };
        assert_eq!(
            too_long.validate(),
            vec![FieldError::new("description", "too_long")]
        );
        let bad_phone = NewCase {
            resident_phone: "call me".into(),
            ..anonymous
        };
        assert_eq!(
            bad_phone.validate(),
            vec![FieldError::new("resident_phone", "invalid_phone")]
        );
        // Anywhere else a name and a phone stay required.
        let walk_in = NewCase {
            resident_name: String::new(),
            resident_phone: String::new(),
            ..ok()
        };
        assert_eq!(walk_in.validate().len(), 2);
        // Texts need a number even where the number is optional.
        let texts_to_nobody = NewCase {
            resident_phone: String::new(),
            notify: true,
            ..ok()
        };
        let api = NewCase {
            source: Source::Open311,
            ..texts_to_nobody
        };
        assert_eq!(
            api.validate(),
            vec![FieldError::new("resident_phone", "required")]
        );
        // An address is somewhere for messages to go too; a bad one is named.
        let mailed = NewCase {
            resident_email: " li@example.cn ".into(),
            ..api.clone()
        };
        assert!(mailed.validate().is_empty());
        assert_eq!(mailed.normalised().resident_email, "li@example.cn");
        let bad_email = NewCase {
            resident_email: "li@example".into(),
            ..ok()
        };
        assert_eq!(
            bad_email.validate(),
            vec![FieldError::new("resident_email", "bad_email")]
        );
    }

    #[test]
    fn a_complete_request_passes() {
        assert!(ok().validate().is_empty());
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = NewCase {
            title: " ".into(),
            description: "字".repeat(MAX_DESCRIPTION + 1),
            resident_name: String::new(),
            resident_phone: "call me".into(),
            ..ok()
        };
        let fields: Vec<(String, String)> = bad
            .validate()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("title".into(), "required".into()),
                ("description".into(), "too_long".into()),
                ("resident_name".into(), "required".into()),
                ("resident_phone".into(), "invalid_phone".into()),
            ]
        );
    }

    #[test]
    fn phones_accept_common_forms() {
        assert!(phone_is_valid("138-1234-5678"));
        assert!(phone_is_valid("+86 13812345678"));
        assert!(phone_is_valid("0358-8221234"));
        assert!(!phone_is_valid("12345"));
        assert!(!phone_is_valid("1381234567a"));
    }
}
