//! Rules for staff accounts an administrator creates: names, passwords, and
//! the seat each role needs (a director sits in a region, a handler in a unit).

use crate::intake::FieldError;
use crate::role::Role;
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_DISPLAY_NAME_CHARS: usize = 60;
/// The longest address SMTP carries (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Where a role's account sits, which decides its area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatKind {
    /// Administrators reach everything and sit nowhere in particular.
    None,
    Region,
    Unit,
    Station,
}

impl Role {
    pub fn seat(self) -> SeatKind {
        match self {
            Role::Admin => SeatKind::None,
            Role::Director | Role::Leader | Role::GridWorker | Role::Member => SeatKind::Region,
            Role::Handler => SeatKind::Unit,
            Role::Deputy => SeatKind::Station,
        }
    }
}

crate::form! {
    /// An account as an administrator fills it in (an empty picker is no
    /// seat; an edit sends no username, which cannot change).
    pub struct AccountForm from RawAccount {
        username: text,
        display_name: text,
        role: choice(Role),
        region_id: pick,
        unit_id: pick,
        station_id: pick,
    }
}

stored_enum! {
    /// What an administrator can do to an account besides editing it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum AccountAction {
        /// A new temporary password, shown once.
        Reset = "reset",
        /// Ends every session of the account.
        SignOut = "sign_out",
        Disable = "disable",
        Enable = "enable",
    }
}

crate::form! {
    /// An administrator's action on an account.
    pub struct AccountCommand from RawAccountCommand {
        account: id,
        action: choice(AccountAction),
    }
}

/// The one form of a username that is stored, looked up and counted:
/// trimmed and in lower case, so `Director ` and `director` are one account
/// everywhere (sign-in, its throttle, registration, the CLI).
pub fn username_key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

impl AccountForm {
    /// Every problem at once, by field. A seat the role does not use is
    /// dropped rather than refused (the form keeps all three pickers).
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        self.username = username_key(&self.username);
        self.display_name = self.display_name.trim().to_string();
        if let Err(e) = check_username(&self.username) {
            errors.push(e);
        }
        if self.display_name.is_empty() {
            errors.push(FieldError::new("display_name", "required"));
        } else if self.display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            errors.push(FieldError::new("display_name", "too_long"));
        }
        let seat = self.role.seat();
        let keep = |kind: SeatKind, v: Option<i64>| if seat == kind { v } else { None };
        self.region_id = keep(SeatKind::Region, self.region_id);
        self.unit_id = keep(SeatKind::Unit, self.unit_id);
        self.station_id = keep(SeatKind::Station, self.station_id);
        match seat {
            SeatKind::Region if self.region_id.is_none() => {
                errors.push(FieldError::new("region_id", "required"))
            }
            SeatKind::Unit if self.unit_id.is_none() => {
                errors.push(FieldError::new("unit_id", "required"))
            }
            SeatKind::Station if self.station_id.is_none() => {
                errors.push(FieldError::new("station_id", "required"))
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// 3 to 32 lower-case letters, digits, `.`, `_` or `-`, starting with a letter.
pub fn check_username(name: &str) -> Result<(), FieldError> {
    let ok_len = (3..=32).contains(&name.len());
    let ok_start = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok_len && ok_start && ok_chars {
        Ok(())
    } else {
        Err(FieldError::new("username", "bad_username"))
    }
}

/// A new password someone chose: long enough, not their name, not the old one.
pub fn check_new_password(username: &str, old: &str, new: &str) -> Result<(), FieldError> {
    let chars = new.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new("new_password", "password_short"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new("new_password", "too_long"));
    }
    if new == old {
        return Err(FieldError::new("new_password", "password_unchanged"));
    }
    if !username.is_empty() && new.to_lowercase().contains(&username.to_lowercase()) {
        return Err(FieldError::new("new_password", "password_has_name"));
    }
    if new.chars().collect::<std::collections::HashSet<_>>().len() < 4 {
        return Err(FieldError::new("new_password", "password_simple"));
    }
    Ok(())
}

/// Where a staff member's mail goes, and whether they want the daily
/// digest of what waits for them (每日待办摘要).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailSettings {
    /// Empty: no address.
    pub email: String,
    pub digest: bool,
}

impl MailSettings {
    /// The address trimmed and checked; a digest needs an address.
    pub fn validate(mut self) -> Result<Self, FieldError> {
        self.email = self.email.trim().to_string();
        if !self.email.is_empty() {
            check_email(&self.email)?;
        } else if self.digest {
            return Err(FieldError::new("email", "required"));
        }
        Ok(self)
    }
}

/// A plausible mailbox: one `@` with a local part before it and a dotted
/// domain after it, no spaces or control characters (a line break would
/// write mail headers of its own), not longer than SMTP allows. Whether it
/// exists only the mail server can say.
pub fn check_email(email: &str) -> Result<(), FieldError> {
    let bad = || FieldError::new("email", "bad_email");
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(FieldError::new("email", "too_long"));
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
    {
        return Err(bad());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(bad());
    };
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty() || domain.contains('@') || !domain.contains('.') || !labels_ok {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_checked_and_a_digest_needs_one() {
        let settings = |email: &str, digest| MailSettings {
            email: email.into(),
            digest,
        };
        assert_eq!(
            settings("  wang.li@lvliang.gov.cn ", true).validate(),
            Ok(settings("wang.li@lvliang.gov.cn", true))
        );
        assert_eq!(settings("", false).validate(), Ok(settings("", false)));
        assert_eq!(
            settings(" ", true).validate(),
            Err(FieldError::new("email", "required"))
        );
        for bad in [
            "wang",
            "@lvliang.gov.cn",
            "wang@",
            "wang@localhost",
            "wang@@lvliang.gov.cn",
            "wang@lvliang..cn",
            "wang li@lvliang.gov.cn",
            // A header of its own, smuggled in after the address.
            "wang@lvliang.gov.cn\r\nBcc: all@example.com",
            "王 <wang@lvliang.gov.cn>",
            "a@b.cn,c@d.cn",
        ] {
            assert_eq!(
                check_email(bad),
                Err(FieldError::new("email", "bad_email")),
                "{bad:?}"
            );
        }
        let long = format!("{}@lvliang.gov.cn", "a".repeat(250));
        assert_eq!(
            check_email(&long),
            Err(FieldError::new("email", "too_long"))
        );
    }

    fn form(username: &str, role: Role) -> AccountForm {
        AccountForm {
            username: username.into(),
            display_name: "王主任".into(),
            role,
            region_id: Some(3),
            unit_id: Some(4),
            station_id: None,
        }
    }

    #[test]
    fn each_role_needs_its_seat_and_keeps_only_that() {
        let d = form(" Wang.Li ", Role::Director).validate().unwrap();
        assert_eq!(d.username, "wang.li");
        assert_eq!((d.region_id, d.unit_id), (Some(3), None));
        let h = form("zhao", Role::Handler).validate().unwrap();
        assert_eq!((h.region_id, h.unit_id), (None, Some(4)));
        let errors = form("sun", Role::Deputy).validate().unwrap_err();
        assert_eq!(errors, vec![FieldError::new("station_id", "required")]);
        let a = form("root", Role::Admin).validate().unwrap();
        assert_eq!((a.region_id, a.unit_id, a.station_id), (None, None, None));
    }

    #[test]
    fn bad_names_are_refused_by_field() {
        for bad in ["ab", "1abc", "王伟", "a b c", &"x".repeat(33)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
        let mut f = form("ok_name", Role::Director);
        f.display_name = "  ".into();
        assert_eq!(
            f.validate().unwrap_err(),
            vec![FieldError::new("display_name", "required")]
        );
    }

    #[test]
    fn new_passwords_must_be_long_new_and_not_the_name() {
        let err = |u, o, n| check_new_password(u, o, n).unwrap_err().message;
        assert_eq!(err("wang", "old-secret-1", "short"), "password_short");
        assert_eq!(
            err("wang", "same-password-1", "same-password-1"),
            "password_unchanged"
        );
        assert_eq!(err("wang", "x", "Wang-2026-lvliang"), "password_has_name");
        assert_eq!(err("wang", "x", "aaaaaaaaaaaa"), "password_simple");
        assert!(check_new_password("wang", "x", "离石区-连心-2026").is_ok());
    }
}
