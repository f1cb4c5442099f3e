//! CSV that opens correctly in Excel with a Belgian locale: a UTF-8 byte order mark (so
//! "Françoise" stays Françoise), `;` between fields (the comma is the decimal sign there),
//! CRLF line ends, quotes where needed, and no field that Excel would run as a formula.

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

fn field(text: &str) -> String {
    // A value starting like a formula is shown as text, not run (CSV injection).
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
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
}
