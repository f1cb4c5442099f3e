//! A small HTTPS client for the dashboard tests: the hub's CA as the only root, one
//! request per connection, cookies kept like a browser keeps them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of hidden field `name` in the page.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_owned())
    }
}

/// A browser for one hub: trusts only the hub's CA, keeps cookies.
pub struct Browser {
    addr: SocketAddr,
    tls: tokio_rustls::TlsConnector,
    /// The cookies it holds.
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    /// A browser that trusts the CA in `ca_pem` and talks to `addr` as `localhost`.
    pub fn new(addr: SocketAddr, ca_pem: &Path) -> Browser {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca_pem).expect("the hub's CA") {
            roots.add(cert.expect("a certificate")).expect("added");
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Browser {
            addr,
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            cookies: BTreeMap::new(),
        }
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> Answer {
        self.request("GET", path, None).await
    }

    /// POST a form to `path`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request("POST", path, Some(body)).await
    }

    async fn request(&mut self, method: &str, path: &str, body: Option<String>) -> Answer {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("the dashboard accepts connections");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
        let mut tls = self
            .tls
            .connect(name, tcp)
            .await
            .expect("a TLS handshake with the hub's certificate");
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head += &format!("Cookie: {}\r\n", jar.join("; "));
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            head += &format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        head += "\r\n";
        tls.write_all(head.as_bytes()).await.expect("sent");
        tls.write_all(body.as_bytes()).await.expect("sent");
        let mut raw = Vec::new();
        // The server closes after the answer (Connection: close); a TLS close without
        // close_notify is fine here.
        let _ = tls.read_to_end(&mut raw).await;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
            .collect();
        for (_, value) in headers.iter().filter(|(n, _)| n == "set-cookie") {
            let pair = value.split(';').next().unwrap_or("");
            if let Some((name, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), v.to_owned());
                }
            }
        }
        Answer {
            status,
            headers,
            body: body.to_owned(),
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
