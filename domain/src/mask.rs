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

/// Free text a resident wrote, made fit for public output: their own name
/// (and any other given) is masked, and anything that looks like a phone or
/// ID number (seven digits or more, spaces and hyphens allowed between them)
/// or an e-mail address is replaced by `***`.
pub fn redact(text: &str, names: &[&str]) -> String {
    let mut out = text.to_string();
    for n in names
        .iter()
        .map(|n| n.trim())
        .filter(|n| n.chars().count() >= 2)
    {
        out = out.replace(n, &name(n));
    }
    let chars: Vec<char> = out.chars().collect();
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            // A run of digits, allowing single separators between groups of
            // three or more (138 1234 5678, 0358-8221234, but not 2026-11-28).
            let group_at = |k: usize| chars[k..].iter().take_while(|c| c.is_ascii_digit()).count();
            let mut j = i;
            let mut digits = 0;
            loop {
                let group = group_at(j);
                digits += group;
                j += group;
                let continues = group >= 3
                    && j + 1 < chars.len()
                    && matches!(chars[j], ' ' | '-')
                    && group_at(j + 1) >= 3;
                if !continues {
                    break;
                }
                j += 1;
            }
            if digits >= 7 {
                // The check character of an ID number.
                if chars.get(j).is_some_and(|c| matches!(c, 'X' | 'x')) {
                    j += 1;
                }
                result.push_str("***");
            } else {
                result.extend(&chars[i..j]);
            }
            i = j;
        } else if chars[i] == '@' {
            let local =
                |c: &char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
            let mut start = result.len();
            while let Some(c) = result[..start].chars().next_back().filter(local) {
                start -= c.len_utf8();
            }
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '.' | '-'))
            {
                j += 1;
            }
            if start < result.len() && j > i + 1 {
                result.truncate(start);
                result.push_str("***");
            } else {
                result.extend(&chars[i..j]);
            }
            i = j;
        } else {
            result.push(chars[i]);
            i += 1;
        }
    }
    result
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

    #[test]
    fn free_text_loses_names_numbers_and_addresses() {
        assert_eq!(
            redact(
                "我是王丽华，电话138 1234 5678，身份证14110219800101123X",
                &["王丽华"]
            ),
            "我是王*华，电话***，身份证***"
        );
        assert_eq!(
            redact("联系 li.hua+x@example.cn 谢谢", &[]),
            "联系 *** 谢谢"
        );
        // Short numbers (house numbers, dates, amounts) stay.
        assert_eq!(
            redact("3号楼2单元，2026年11月，500元", &["王"]),
            "3号楼2单元，2026年11月，500元"
        );
        assert_eq!(redact("座机0358-8221234", &[]), "座机***");
        assert_eq!(redact("2026-11-28起漏水", &[]), "2026-11-28起漏水");
    }
}
