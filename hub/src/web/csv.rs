//! CSV that opens correctly in Excel with a Belgian locale: a UTF-8 byte order mark (so
//! "Françoise" stays Françoise), `;` between fields (the comma is the decimal sign there),
//! CRLF line ends, quotes where needed, and no field that Excel would run as a formula
//! (a negative number stays a number). The words in it (headers, "too few to show") are
//! the reader's; callers write them with `t!`.

/// A CSV file being written.
pub struct Csv {
    text: String,
}

impl Csv {
    /// A file with its header row.
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            text: String::from("\u{feff}"),
        };
        csv.row(header);
        csv
    }

    /// One row.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        let line: Vec<String> = fields.iter().map(|f| field(f.as_ref())).collect();
        self.text.push_str(&line.join(";"));
        self.text.push_str("\r\n");
    }

    /// The file's text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// Whether `text` is a plain number as the reports write one (`-1,5`, `12`, `0.5`):
/// digits, at most one decimal sign, perhaps a minus in front. Excel reads it as a number
/// and can run nothing in it.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut signs = 0;
    !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| {
            if c == ',' || c == '.' {
                signs += 1;
                signs == 1
            } else {
                c.is_ascii_digit()
            }
        })
}

fn field(text: &str) -> String {
    // A value starting like a formula is shown as text, not run (CSV injection).
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_in_belgium_reads_it_as_written() {
        let mut csv = Csv::new(&["Groep", "Aanwezig"]);
        csv.row(&["Oostende; Oost", "75"]);
        csv.row(&["Françoise \"Fanny\"", "=1+1"]);
        assert_eq!(
            csv.finish(),
            "\u{feff}Groep;Aanwezig\r\n\"Oostende; Oost\";75\r\n\"Françoise \"\"Fanny\"\"\";'=1+1\r\n"
        );
    }

    #[test]
    fn a_negative_number_stays_a_number_and_a_formula_after_a_minus_does_not_run() {
        let mut csv = Csv::new(&["Verschil"]);
        for value in ["-1,5", "-2", "0.5", "-1+1", "-", "--1", "-1,5,5", "-,5"] {
            csv.row(&[value]);
        }
        assert_eq!(
            csv.finish(),
            "\u{feff}Verschil\r\n-1,5\r\n-2\r\n0.5\r\n'-1+1\r\n'-\r\n'--1\r\n'-1,5,5\r\n'-,5\r\n"
        );
    }
}
