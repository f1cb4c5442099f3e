//! The rules every figure for the project's evaluation follows, whoever reads it: only
//! seniors who agreed to count in the evaluation are counted (the callers pass only
//! them), and a figure about fewer than [`FEWEST_COUNTED`] people is withheld, so that
//! nobody who knows the group can tell from it what one person did ("2 present, 1
//! absent" in a group of three says who stayed home).

/// The fewest people a figure may be about.
pub const FEWEST_COUNTED: usize = 5;

/// A figure as the evaluation may show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure<T> {
    /// About enough people: shown.
    Shown(T),
    /// About 1 to 4 people: withheld.
    TooFew,
    /// About nobody (no one agreed, answered or was marked): there is no figure, which is
    /// not the same as 0.
    NoData,
}

impl<T> Figure<T> {
    /// The value, when it may be shown.
    pub fn shown(&self) -> Option<&T> {
        match self {
            Figure::Shown(value) => Some(value),
            Figure::TooFew | Figure::NoData => None,
        }
    }

    /// The same figure with its value changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Figure<U> {
        match self {
            Figure::Shown(value) => Figure::Shown(f(value)),
            Figure::TooFew => Figure::TooFew,
            Figure::NoData => Figure::NoData,
        }
    }
}

/// A figure about `people` people: `value` when they are enough, else withheld or none.
pub fn about<T>(people: usize, value: impl FnOnce() -> T) -> Figure<T> {
    match people {
        0 => Figure::NoData,
        n if n < FEWEST_COUNTED => Figure::TooFew,
        _ => Figure::Shown(value()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_about_fewer_than_five_people_are_withheld_and_nobody_is_no_data() {
        assert_eq!(about(0, || 1.0), Figure::NoData);
        for few in 1..FEWEST_COUNTED {
            assert_eq!(about(few, || 1.0), Figure::TooFew, "{few} people");
        }
        assert_eq!(about(5, || 2.5), Figure::Shown(2.5));
        assert_eq!(about(5, || 2).map(|n| n * 2).shown(), Some(&4));
        assert_eq!(about(3, || 2).shown(), None);
    }
}
