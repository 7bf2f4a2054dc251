//! How alike two requests read, for spotting duplicates at intake (no
//! external service). Chinese has no spaces, so texts are compared by their
//! characters and character bigrams (Dice coefficient), after dropping what
//! says nothing about the problem itself: function words, politeness
//! ("请尽快解决"), numbers and address words. Candidates are already limited
//! to the same community, so "3号楼" would only make every case there alike.

use std::collections::HashSet;

/// Scores at or above this are offered as possible duplicates.
pub const THRESHOLD: f64 = 0.2;

/// Characters that carry no problem: function words, pronouns, numerals,
/// address and request phrasing.
const NOISE: &str = "的了是在有和与及也都很就还又被把给对我你他她它们这那个些啊吧呢吗呀\
    一二三四五六七八九十零两几第号楼栋幢单元室层户小区院\
    请求反映希望能够尽快解决问题情况已经一直现在目前最近非常特别麻烦帮忙处理及时";

/// What a text is compared by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    chars: HashSet<char>,
    bigrams: HashSet<(char, char)>,
}

impl Fingerprint {
    pub fn of(text: &str) -> Self {
        let kept: Vec<char> = text
            .chars()
            .flat_map(char::to_lowercase)
            .filter(|c| c.is_alphabetic() && !NOISE.contains(*c))
            .collect();
        Self {
            chars: kept.iter().copied().collect(),
            bigrams: kept.windows(2).map(|w| (w[0], w[1])).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }
}

fn dice<T: Eq + std::hash::Hash>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

/// 0 (nothing in common) to 1 (the same words): the mean of the character
/// and the bigram overlap, so shared words count more than shared characters.
pub fn score(a: &Fingerprint, b: &Fingerprint) -> f64 {
    (dice(&a.chars, &b.chars) + dice(&a.bigrams, &b.bigrams)) / 2.0
}

pub fn similarity(a: &str, b: &str) -> f64 {
    score(&Fingerprint::of(a), &Fingerprint::of(b))
}

crate::form! {
    /// What the intake desk has typed so far, to look for the same problem
    /// already open nearby.
    pub struct SimilarQuery from RawSimilarQuery {
        region_id: id,
        /// The title and description together.
        text: bounded(crate::case::MAX_TEXT * 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldError;

    #[test]
    fn a_query_longer_than_a_whole_request_is_refused() {
        let query = |text: String| RawSimilarQuery {
            region_id: "7".into(),
            text,
        };
        let max = crate::case::MAX_TEXT * 2;
        assert_eq!(
            query("路".repeat(max))
                .parse()
                .unwrap()
                .text
                .chars()
                .count(),
            max
        );
        assert_eq!(
            query("路".repeat(max + 1)).parse(),
            Err(vec![FieldError::new("text", "too_long")])
        );
    }

    /// The same problem as residents word it differently.
    const SAME: [(&str, &str); 8] = [
        ("3号楼前路灯不亮了", "三号楼门口的路灯坏了，晚上很黑"),
        (
            "小区下水道堵塞，污水外溢",
            "5栋旁边下水道堵了，污水漫到路上",
        ),
        (
            "楼道堆满杂物，存在消防隐患",
            "2单元楼道里堆放杂物，担心着火堵住消防通道",
        ),
        (
            "广场舞音乐声音太大，影响休息",
            "每天晚上广场舞音响声音很大，吵得没法休息",
        ),
        (
            "垃圾桶满了没人清运，臭味很大",
            "垃圾好几天没有清运，垃圾桶周围臭味严重",
        ),
        (
            "电梯经常故障停运",
            "4号楼电梯又坏了，老人上下楼困难，电梯故障频繁",
        ),
        (
            "小区门口道路坑洼不平，雨天积水",
            "门口的路面坑坑洼洼，一下雨就积水",
        ),
        ("流浪狗在小区里咬人", "小区流浪狗很多，昨天有孩子被狗咬了"),
    ];

    /// Different problems, often in the same place.
    const DIFFERENT: [(&str, &str); 8] = [
        ("3号楼前路灯不亮了", "3号楼下水道堵了，污水外溢"),
        ("楼道堆满杂物，存在消防隐患", "电梯经常故障停运"),
        (
            "广场舞音乐声音太大，影响休息",
            "小区门口道路坑洼不平，雨天积水",
        ),
        ("垃圾桶满了没人清运，臭味很大", "流浪狗在小区里咬人"),
        ("4号楼电梯又坏了，老人上下楼困难", "4号楼前路灯坏了"),
        ("暖气不热，家里只有十几度", "自来水水压太低，高层用不上水"),
        ("小区绿化带被占用种菜", "小区停车位不够，乱停车堵路"),
        ("希望增设老年活动室", "请尽快解决楼顶漏水问题"),
    ];

    #[test]
    fn the_same_problem_in_other_words_scores_above_the_threshold() {
        for (a, b) in SAME {
            let s = similarity(a, b);
            assert!(s >= THRESHOLD, "{a} ~ {b}: {s:.3}");
        }
    }

    #[test]
    fn different_problems_score_below_it_even_at_the_same_address() {
        for (a, b) in DIFFERENT {
            let s = similarity(a, b);
            assert!(s < THRESHOLD, "{a} ≁ {b}: {s:.3}");
        }
    }

    #[test]
    fn scores_are_symmetric_and_bounded() {
        for (a, b) in SAME.into_iter().chain(DIFFERENT) {
            let (ab, ba) = (similarity(a, b), similarity(b, a));
            assert!((ab - ba).abs() < 1e-12);
            assert!((0.0..=1.0).contains(&ab));
        }
        assert_eq!(similarity("路灯不亮", "路灯不亮"), 1.0);
        assert_eq!(similarity("", "路灯不亮"), 0.0);
        assert!(Fingerprint::of("请尽快解决，3号楼").is_empty());
    }
}
