//! What is the logged-in coach's own: their groups, and their groups' seniors. Every list
//! a coach picks from shows these first, so that a default or a quick tap lands on their
//! own people rather than on the first name of someone else's group.

use super::Me;
use crate::domain::people::{Group, Person, Role as PersonRole};
use nabij_protocol::GroupId;

/// The groups the account's coach leads (the group's coach, as `meetings::is_mine` says).
pub fn groups(me: &Me, groups: &[Group]) -> Vec<GroupId> {
    groups
        .iter()
        .filter(|g| super::meetings::is_mine(me, g))
        .map(|g| g.id.clone())
        .collect()
}

/// `groups` with the coach's own first (each part in name order).
pub fn groups_first<'a>(groups: &'a [Group], own: &[GroupId]) -> Vec<&'a Group> {
    let mut sorted: Vec<&Group> = groups.iter().collect();
    sorted.sort_by_key(|g| (!own.contains(&g.id), fold(&g.name)));
    sorted
}

/// Whether `person` is in one of the coach's own groups.
pub fn is_own(person: &Person, own: &[GroupId]) -> bool {
    person.group.as_ref().is_some_and(|g| own.contains(g))
}

/// The participants among `people`, the coach's own groups' first (each part in name
/// order).
pub fn participants_first<'a>(people: &'a [Person], own: &[GroupId]) -> Vec<&'a Person> {
    let mut sorted: Vec<&Person> = people
        .iter()
        .filter(|p| p.role == PersonRole::Participant)
        .collect();
    sorted.sort_by_key(|p| (!is_own(p, own), fold(&p.name)));
    sorted
}

/// `text` for comparing and searching names: lower case, accents off ("Hélène" finds
/// "helene"), spaces made single.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if !(plain == ' ' && out.ends_with(' ')) {
            out.push(plain);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn names_are_found_without_their_accents_or_capitals() {
        assert_eq!(fold("  Hélène  Van  Daële "), "helene van daele");
        assert!(fold("Françoise Maës").contains(&fold("francoise")));
    }
}
