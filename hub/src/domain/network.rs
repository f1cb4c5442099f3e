//! The network figures the project reports to funders: how many different people each
//! participant wrote to per month, and the ties formed between participants, over time.
//! Pure: the app layer reads the facts, these rules count them.

use nabij_protocol::UnixMillis;

/// The Belgian calendar month of an instant: `2026-11`.
pub fn month_of(t: UnixMillis) -> String {
    let c = nabij_protocol::time::brussels(t);
    format!("{:04}-{:02}", c.year, c.month)
}

/// The `count` months up to and including the month of `now`, oldest first.
pub fn last_months(now: UnixMillis, count: usize) -> Vec<String> {
    let c = nabij_protocol::time::brussels(now);
    let (mut year, mut month) = (c.year, i32::from(c.month));
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(format!("{year:04}-{month:02}"));
        month -= 1;
        if month == 0 {
            month = 12;
            year -= 1;
        }
    }
    out.reverse();
    out
}

/// A group's network over months.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Growth {
    /// The months, oldest first.
    pub months: Vec<String>,
    /// Per member, per month: how many different people they wrote to.
    pub contacts: Vec<Vec<u32>>,
    /// Per month: the members' mean of that.
    pub mean: Vec<f64>,
    /// Per month: ties formed between two members (their contact approved).
    pub new_ties: Vec<u32>,
    /// Ties formed before the first month (at enrolment, say): with `new_ties`, every
    /// tie there is now.
    #[serde(default)]
    pub ties_before: u32,
    /// Per month: the network size members reported in the diary — people named in an
    /// answer to a prompt that asks who, the most that month per member, averaged over
    /// those who answered (members who agreed to count only); 0 when no one answered
    /// (`diary_answered` says how many did).
    pub diary_named: Vec<f64>,
    /// Per month: how many members answered the diary (the people `diary_named` is about).
    #[serde(default)]
    pub diary_answered: Vec<usize>,
}

/// The months of `months` from `start` (a month as [`month_of`] writes it) on: a
/// programme's figures begin with its first meeting, never with months before it.
pub fn months_from(months: Vec<String>, start: &str) -> Vec<String> {
    months.into_iter().filter(|m| m.as_str() >= start).collect()
}

/// Per month, how many members answered the diary: `answers` as for [`diary_named`].
pub fn diary_answered(months: &[String], answers: &[Vec<(String, usize)>]) -> Vec<usize> {
    months
        .iter()
        .map(|month| {
            answers
                .iter()
                .filter(|member| member.iter().any(|(m, _)| m == month))
                .count()
        })
        .collect()
}

/// The diary's figure: `answers[m]` are member `m`'s answers as (month, people named).
pub fn diary_named(months: &[String], answers: &[Vec<(String, usize)>]) -> Vec<f64> {
    months
        .iter()
        .map(|month| {
            let most: Vec<usize> = answers
                .iter()
                .filter_map(|member| {
                    member
                        .iter()
                        .filter(|(m, _)| m == month)
                        .map(|(_, n)| *n)
                        .max()
                })
                .collect();
            if most.is_empty() {
                0.0
            } else {
                most.iter().sum::<usize>() as f64 / most.len() as f64
            }
        })
        .collect()
}

/// Counts a group's growth: `contacts[m][i]` is member `m`'s count in `months[i]`, and
/// `tie_months` the month each tie between two members was formed.
pub fn growth(months: Vec<String>, contacts: Vec<Vec<u32>>, tie_months: &[String]) -> Growth {
    let mean = (0..months.len())
        .map(|i| {
            if contacts.is_empty() {
                0.0
            } else {
                let sum: u32 = contacts
                    .iter()
                    .map(|row| row.get(i).copied().unwrap_or(0))
                    .sum();
                f64::from(sum) / contacts.len() as f64
            }
        })
        .collect();
    let new_ties = months
        .iter()
        .map(|m| tie_months.iter().filter(|t| *t == m).count() as u32)
        .collect();
    let ties_before = tie_months
        .iter()
        .filter(|t| {
            months
                .first()
                .is_none_or(|first| t.as_str() < first.as_str())
        })
        .count() as u32;
    Growth {
        months,
        contacts,
        mean,
        new_ties,
        ties_before,
        diary_named: Vec::new(),
        diary_answered: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::time::from_brussels;

    #[test]
    fn months_are_belgian_and_run_back_across_the_new_year() {
        // 31 December 23:30 in Brussels is already 2027 nowhere, still December here.
        assert_eq!(month_of(from_brussels(2026, 12, 31, 23, 30)), "2026-12");
        assert_eq!(month_of(from_brussels(2027, 1, 1, 0, 30)), "2027-01");
        assert_eq!(
            last_months(from_brussels(2027, 2, 10, 12, 0), 4),
            ["2026-11", "2026-12", "2027-01", "2027-02"]
        );
    }

    #[test]
    fn the_mean_and_the_new_ties_per_month() {
        let months: Vec<String> = ["2026-10", "2026-11", "2026-12"].map(String::from).to_vec();
        let g = growth(
            months,
            vec![vec![0, 2, 4], vec![1, 1, 3]],
            &[
                "2026-11".to_owned(),
                "2026-11".to_owned(),
                "2026-12".to_owned(),
            ],
        );
        assert_eq!(g.mean, [0.5, 1.5, 3.5]);
        assert_eq!(g.new_ties, [0, 2, 1]);
        assert_eq!(g.ties_before, 0);
        let named = diary_named(
            &g.months,
            &[
                vec![("2026-11".into(), 2), ("2026-11".into(), 4)],
                vec![("2026-11".into(), 1), ("2026-12".into(), 3)],
                vec![],
            ],
        );
        assert_eq!(
            named,
            [0.0, 2.5, 3.0],
            "the most per member, over those who answered"
        );
        assert_eq!(
            diary_answered(
                &g.months,
                &[
                    vec![("2026-11".into(), 2), ("2026-11".into(), 4)],
                    vec![("2026-11".into(), 1), ("2026-12".into(), 3)],
                    vec![],
                ],
            ),
            [0, 2, 1]
        );
        let empty = growth(g.months.clone(), Vec::new(), &[]);
        assert_eq!(empty.mean, [0.0, 0.0, 0.0]);
    }

    #[test]
    fn months_start_with_the_programme_and_earlier_ties_are_counted_apart() {
        let months = last_months(from_brussels(2027, 2, 10, 12, 0), 6);
        let shown = months_from(months, "2026-12");
        assert_eq!(shown, ["2026-12", "2027-01", "2027-02"]);
        let g = growth(
            shown,
            vec![vec![1, 2, 3]],
            &["2026-10".to_owned(), "2027-01".to_owned()],
        );
        assert_eq!(g.new_ties, [0, 1, 0]);
        assert_eq!(g.ties_before, 1, "formed before the first month shown");
        assert_eq!(
            g.ties_before + g.new_ties.iter().sum::<u32>(),
            2,
            "every tie counted once"
        );
    }
}
