//! The inputs' shape. A message input is lines of `TOPIC PAYLOAD`; TOPIC is a full topic
//! name or one of the short names below, which name the fixtures' tablets. Payloads from
//! `Envelope::to_bytes` hold no line break, so a corpus file is one readable message a
//! line, and a mutation that adds a line break makes two messages of one.

/// The fixture's first tablet, Anna's.
pub const ANNA: &str = "d-anna";
/// The fixture's second tablet, Ben's (Anna's contact).
pub const BEN: &str = "d-ben";
/// A tablet the hub never enrolled.
pub const STRANGER: &str = "d-stranger";
/// A pairing tablet's enrolment id.
pub const ENROLMENT: &str = "e-0123456789abcdef0123456789abcdef";

/// The topic a short name stands for, or the word itself (a full topic name, or not a
/// topic at all: that is for the code under test to find out).
pub fn topic_name(word: &str) -> String {
    let device = |id: &str, leaf: &str| format!("nabij/v1/dev/{id}/{leaf}");
    match word {
        "up" => device(ANNA, "up"),
        "down" => device(ANNA, "down"),
        "status" => device(ANNA, "status"),
        "ben-up" => device(BEN, "up"),
        "ben-down" => device(BEN, "down"),
        "ben-status" => device(BEN, "status"),
        "stranger-up" => device(STRANGER, "up"),
        "enrol-up" => format!("nabij/v1/enrol/{ENROLMENT}/up"),
        "enrol-down" => format!("nabij/v1/enrol/{ENROLMENT}/down"),
        "hub" => "nabij/v1/hub/status".to_owned(),
        other => other.to_owned(),
    }
}

/// The first line (without its line break) and the rest.
pub fn first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[]),
    }
}

/// The messages of a message input: `(topic name, payload)` for each line. A line
/// without a space is a message with an empty payload (a cleared retained status).
pub fn messages(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    data.split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (word, payload) = match line.iter().position(|&b| b == b' ') {
                Some(space) => (&line[..space], &line[space + 1..]),
                None => (line, &[][..]),
            };
            (topic_name(&String::from_utf8_lossy(word)), payload.to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_messages_and_short_names_are_topics() {
        let got = messages(b"up {\"v\":1}\n\nstatus\nnabij/v1/hub/status x y");
        assert_eq!(
            got,
            vec![
                ("nabij/v1/dev/d-anna/up".to_owned(), b"{\"v\":1}".to_vec()),
                ("nabij/v1/dev/d-anna/status".to_owned(), Vec::new()),
                ("nabij/v1/hub/status".to_owned(), b"x y".to_vec()),
            ]
        );
        assert_eq!(first_line(b"hub\n{\n}"), (&b"hub"[..], &b"{\n}"[..]));
        assert_eq!(first_line(b"hub"), (&b"hub"[..], &b""[..]));
    }
}
