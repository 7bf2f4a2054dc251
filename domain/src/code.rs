//! Tracking codes a resident can read over the phone, and the second factor
//! that protects a case's public page.

use serde::{Deserialize, Serialize};
use std::fmt;

/// 32 symbols without the look-alikes 0/O and 1/I, so a code survives being
/// read aloud or copied by hand.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const BODY: usize = 7;

/// A case's public tracking code: seven random symbols and a check symbol,
/// shown as `ABCD-EFGH`. The check symbol catches any single mistyped symbol
/// before the database is asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrackingCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a tracking code has 8 characters, like K7QM-3XPA")]
    Length,
    #[error("a tracking code uses only digits 2-9 and letters other than I and O")]
    Symbol,
    #[error("this tracking code has a typo (its check character does not match)")]
    Check,
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

fn check_symbol(body: &[u8]) -> u8 {
    // Odd weights are coprime with 32, so every single substitution changes the sum.
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, c)| (2 * i as u32 + 1) * value(*c).unwrap_or(0))
        .sum();
    ALPHABET[(sum % 32) as usize]
}

impl TrackingCode {
    /// Builds a code from random bytes (the caller owns the randomness).
    pub fn from_random(bytes: [u8; BODY]) -> Self {
        let body: Vec<u8> = bytes.iter().map(|b| ALPHABET[(*b % 32) as usize]).collect();
        let mut s = String::from_utf8(body.clone()).unwrap_or_default();
        s.push(check_symbol(&body) as char);
        Self(s)
    }

    /// Accepts what a person types: any case, with or without the dash and spaces.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let cleaned: Vec<u8> = input
            .trim()
            .bytes()
            .filter(|b| *b != b'-' && !b.is_ascii_whitespace())
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if cleaned.len() != BODY + 1 {
            return Err(CodeError::Length);
        }
        if cleaned.iter().any(|c| value(*c).is_none()) {
            return Err(CodeError::Symbol);
        }
        if check_symbol(&cleaned[..BODY]) != cleaned[BODY] {
            return Err(CodeError::Check);
        }
        Ok(Self(String::from_utf8(cleaned).unwrap_or_default()))
    }

    /// A stored code as people read it (`K7QM-3XPA`). Text that is no code
    /// (imported history) is shown as it is rather than hidden.
    pub fn readable(stored: &str) -> String {
        Self::parse(stored)
            .map(|c| c.to_string())
            .unwrap_or_else(|_| stored.to_string())
    }

    /// The canonical form stored in the database (no dash).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..4], &self.0[4..])
    }
}

/// What the resident holds besides the code: the last four digits of their
/// phone or the six-digit PIN printed on the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub phone_last4: Option<String>,
    pub pin: String,
}

impl SecondFactor {
    /// Builds a PIN from random bytes.
    pub fn pin_from_random(bytes: [u8; 4]) -> String {
        format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000)
    }

    pub fn accepts(&self, answer: &str) -> bool {
        let answer: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
        if answer.is_empty() {
            return false;
        }
        let by_phone = self.phone_last4.as_deref() == Some(answer.as_str());
        by_phone || self.pin == answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_parses_back_in_any_typed_form() {
        let code = TrackingCode::from_random([1, 2, 3, 40, 50, 60, 255]);
        let shown = code.to_string();
        assert_eq!(shown.len(), 9);
        assert_eq!(TrackingCode::parse(&shown), Ok(code.clone()));
        assert_eq!(TrackingCode::parse(&shown.to_lowercase()), Ok(code.clone()));
        assert_eq!(
            TrackingCode::parse(&format!(" {} ", code.as_str())),
            Ok(code)
        );
    }

    #[test]
    fn a_stored_code_reads_with_its_dash_and_other_text_stays_as_it_is() {
        let code = TrackingCode::from_random([9, 1, 30, 4, 17, 22, 8]);
        let stored = code.as_str();
        assert_eq!(TrackingCode::readable(stored), code.to_string());
        assert!(TrackingCode::readable(stored).contains('-'));
        assert_eq!(TrackingCode::readable("HIST-0001"), "HIST-0001");
    }

    #[test]
    fn every_single_substitution_is_caught() {
        let code = TrackingCode::from_random([9, 8, 7, 6, 5, 4, 3]);
        let raw = code.as_str().as_bytes().to_vec();
        for i in 0..raw.len() {
            for sym in ALPHABET {
                if *sym == raw[i] {
                    continue;
                }
                let mut typo = raw.clone();
                typo[i] = *sym;
                let typo = String::from_utf8(typo).unwrap();
                assert_eq!(TrackingCode::parse(&typo), Err(CodeError::Check), "{typo}");
            }
        }
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        assert_eq!(TrackingCode::parse("ABC"), Err(CodeError::Length));
        assert_eq!(TrackingCode::parse("ABCD-EFG0"), Err(CodeError::Symbol));
        assert_eq!(TrackingCode::parse("IOIO-IOIO"), Err(CodeError::Symbol));
    }

    #[test]
    fn second_factor_takes_phone_digits_or_pin() {
        let f = SecondFactor {
            phone_last4: Some("1234".into()),
            pin: "048213".into(),
        };
        assert!(f.accepts("1234"));
        assert!(f.accepts(" 048213 "));
        assert!(!f.accepts("4321"));
        assert!(!f.accepts(""));
        assert_eq!(SecondFactor::pin_from_random([0, 0, 0, 0]), "000000");
    }
}
