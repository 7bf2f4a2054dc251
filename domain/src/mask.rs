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
/// (and any other given) is masked; anything that looks like a phone or ID
/// number (seven digits or more in any script — full-width １３８ too —
/// with single spaces, dots, hyphens or brackets between them, but not a
/// date) or an e-mail address is replaced by `***`; unit and room numbers
/// (2单元, 301室, 2单元301) by `*`, so a place says no more than the building.
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
        if is_digit(chars[i]) {
            let (j, public) = digit_run(&chars, i);
            if let Some(public) = public {
                result.push_str(&public);
            } else if room_number(&chars, i, j) {
                result.push('*');
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

/// A digit in any script: ASCII, full-width (１), Arabic-Indic, circled (①)…
fn is_digit(c: char) -> bool {
    c.is_numeric() && !is_chinese_numeral(c)
}

fn is_chinese_numeral(c: char) -> bool {
    "零〇一二三四五六七八九十百千万两".contains(c)
}

/// What may stand between the digits of one number: a single space, dot,
/// hyphen, slash or bracket, in ASCII or full width.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}'
            | '-'
            | '－'
            | '—'
            | '–'
            | '.'
            | '．'
            | '·'
            | '/'
            | '('
            | ')'
            | '（'
            | '）'
            | '+'
            | '＋'
    )
}

/// The number starting at `start`: digit groups joined by single
/// separators. Returns where it ends and, when it must not be shown as it
/// is, its public form: every part of it that is not a date and holds seven
/// digits or more becomes `***` (a date, 2026-11-28 or 2026.11.28, is a
/// group of four, then of one or two twice, with one separator).
fn digit_run(chars: &[char], start: usize) -> (usize, Option<String>) {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut j = start;
    loop {
        let g = j;
        while j < chars.len() && is_digit(chars[j]) {
            j += 1;
        }
        groups.push((g, j));
        let continues = j + 1 < chars.len() && is_separator(chars[j]) && is_digit(chars[j + 1]);
        if !continues {
            break;
        }
        j += 1;
    }
    let len = |k: usize| groups[k].1 - groups[k].0;
    let sep = |k: usize| chars[groups[k].1];
    // Parts: (first group, past the last group, is a date).
    let mut parts: Vec<(usize, usize, bool)> = Vec::new();
    let mut k = 0;
    let mut from = 0;
    while k < groups.len() {
        let date = k + 2 < groups.len()
            && len(k) == 4
            && (1..=2).contains(&len(k + 1))
            && (1..=2).contains(&len(k + 2))
            && matches!(sep(k), '-' | '.' | '/' | '－' | '．')
            && sep(k) == sep(k + 1);
        if date {
            if from < k {
                parts.push((from, k, false));
            }
            parts.push((k, k + 3, true));
            k += 3;
            from = k;
        } else {
            k += 1;
        }
    }
    if from < groups.len() {
        parts.push((from, groups.len(), false));
    }
    let long = |&(a, b, date): &(usize, usize, bool)| !date && (a..b).map(len).sum::<usize>() >= 7;
    if !parts.iter().any(long) {
        return (j, None);
    }
    let mut out = String::new();
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            out.push(sep(part.0 - 1));
        }
        if long(part) {
            out.push_str("***");
        } else {
            out.extend(&chars[groups[part.0].0..groups[part.1 - 1].1]);
        }
    }
    // An ID number's check character goes with it.
    if parts.last().is_some_and(long)
        && chars
            .get(j)
            .is_some_and(|c| matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ'))
    {
        j += 1;
    }
    (j, Some(out))
}

/// Whether the digits at `start..end` number a unit or a room: before 单元,
/// 室 or 户, or right after 单元 (2单元301).
fn room_number(chars: &[char], start: usize, end: usize) -> bool {
    let after: String = chars[end..].iter().take(2).collect();
    let before: String = chars[start.saturating_sub(2)..start].iter().collect();
    after.starts_with("单元")
        || after.starts_with('室')
        || after.starts_with('户')
        || before == "单元"
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
        // Short numbers (buildings, dates, amounts) stay; units and rooms do not.
        assert_eq!(
            redact("3号楼2单元，2026年11月，500元", &["王"]),
            "3号楼*单元，2026年11月，500元"
        );
        assert_eq!(redact("座机0358-8221234", &[]), "座机***");
        assert_eq!(redact("2026-11-28起漏水", &[]), "2026-11-28起漏水");
    }

    #[test]
    fn numbers_are_found_in_any_script_and_with_any_separator() {
        for (text, public) in [
            ("电话13812345678", "电话***"),
            ("电话１３８１２３４５６７８", "电话***"),
            ("电话１３８ １２３４ ５６７８", "电话***"),
            ("电话138.1234.5678", "电话***"),
            ("电话138·1234·5678", "电话***"),
            ("电话138 1234 5678", "电话***"),
            ("电话1 3 8 1 2 3 4 5 6 7 8", "电话***"),
            ("电话(0358)8221234", "电话(***"),
            ("电话（0358）8221234", "电话（***"),
            ("电话+86 138-1234-5678", "电话+***"),
            ("电话138—1234—5678", "电话***"),
            ("电话１３８－１２３４－５６７８", "电话***"),
            ("身份证141102198001011234", "身份证***"),
            ("身份证14110219800101123x。", "身份证***。"),
            ("身份证１４１１０２１９８００１０１１２３Ｘ", "身份证***"),
            ("住5号楼3单元502室", "住5号楼*单元*室"),
            ("住5号楼3单元502", "住5号楼*单元*"),
            ("住１２０３室", "住*室"),
            ("住3号楼202户", "住3号楼*户"),
            ("2026-11-28起漏水", "2026-11-28起漏水"),
            ("2026.11.28起漏水", "2026.11.28起漏水"),
            ("2026/1/5 起漏水", "2026/1/5 起漏水"),
            ("2026-11-28 13812345678", "2026-11-28 ***"),
            (
                "晚上7点到9点，共3次，花了1200元",
                "晚上7点到9点，共3次，花了1200元",
            ),
            ("12345热线", "12345热线"),
            ("第1、2、3号楼", "第1、2、3号楼"),
        ] {
            assert_eq!(redact(text, &[]), public, "{text}");
        }
    }
}
