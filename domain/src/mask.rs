//! Masking for public pages: a resident's name and phone never appear in full.

/// 张建强 → 张*强, 李娜 → 李*, 欧阳娜娜 → 欧**娜.
pub fn name(full: &str) -> String {
    let chars: Vec<char> = full.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut s = String::new();
            s.push(chars[0]);
            s.extend(std::iter::repeat_n('*', n - 2));
            s.push(chars[n - 1]);
            s
        }
    }
}

/// 13812341234 → 138****1234. Anything too short to keep a prefix and a
/// suffix is hidden whole.
pub fn phone(raw: &str) -> String {
    let digits: Vec<char> = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 8 {
        return "****".to_string();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// The last four digits of a phone number: the default second factor.
pub fn phone_last4(raw: &str) -> Option<String> {
    let digits: Vec<char> = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_first_and_last_character_only() {
        assert_eq!(name("张建强"), "张*强");
        assert_eq!(name("李娜"), "李*");
        assert_eq!(name("欧阳娜娜"), "欧**娜");
        assert_eq!(name("王"), "*");
        assert_eq!(name("  "), "");
    }

    #[test]
    fn phones_keep_prefix_and_last_four() {
        assert_eq!(phone("13812341234"), "138****1234");
        assert_eq!(phone("138-1234-1234"), "138****1234");
        assert_eq!(phone("12345"), "****");
        assert_eq!(phone_last4("138 1234 5678"), Some("5678".into()));
        assert_eq!(phone_last4("12"), None);
    }
}
