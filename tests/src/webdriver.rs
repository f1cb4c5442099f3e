//! A small W3C WebDriver client for the dashboard's browser test: Debian's chromium
//! driven through chromedriver, headless, over plain HTTP on the loopback. Just what the
//! test needs: open a page, type, click, read the page, run a script in it, measure its
//! layout, take a screenshot.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The phone's screen in CSS pixels, and device pixels per CSS pixel.
const PHONE_WIDTH: u32 = 360;
const PHONE_HEIGHT: u32 = 740;
const PHONE_SCALE: f64 = 2.0;

/// The screen a browser test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// A laptop: 1280 × 800.
    Laptop,
    /// A phone: 360 × 740 CSS pixels at twice the density, touch, as a phone's browser
    /// lays pages out (the viewport meta tag counts).
    Phone,
}

/// What [`Chromium::layout_problems`] measured on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// How many CSS pixels the page is wider than the screen (0 or less: no sideways
    /// scroll).
    pub overflow: f64,
    /// Tappable elements smaller than asked, described.
    pub small: Vec<String>,
    /// The elements that reach past the screen's right edge, described.
    pub too_wide: Vec<String>,
}

/// A headless Chromium with its own empty profile and download folder.
pub struct Chromium {
    driver: tokio::process::Child,
    screen: Screen,
    port: u16,
    session: String,
    /// Where downloads land.
    pub downloads: PathBuf,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// Starts chromedriver and a browser session on a laptop screen that asks for
    /// English pages. Panics, saying what to install, when chromium or chromedriver is
    /// missing.
    pub async fn start() -> Chromium {
        Chromium::start_as(Screen::Laptop, "en").await
    }

    /// Starts a browser on `screen` whose pages are asked for in `languages` (an
    /// `Accept-Language` value such as `fr-BE,fr`).
    pub async fn start_as(screen: Screen, languages: &str) -> Chromium {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: `cargo xtask test` installs it (apt-get install chromium chromium-driver)"
            );
        }
        let port = crate::hub::free_port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile folder");
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).expect("a download folder");
        let mut chromium = Chromium {
            driver,
            screen,
            port,
            session: String::new(),
            downloads: downloads.clone(),
            _profile: profile,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Ok(status) = chromium.http("GET", "/status", None).await
                && status["value"]["ready"] == json!(true)
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "chromedriver never became ready"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let user_data = chromium._profile.path().join("chromium");
        let first_language = languages.split([',', '-', ';']).next().unwrap_or("en");
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,800",
                format!("--lang={first_language}"),
                format!("--user-data-dir={}", user_data.display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
                "intl.accept_languages": languages,
            },
        });
        if screen == Screen::Phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {
                    "width": PHONE_WIDTH, "height": PHONE_HEIGHT, "pixelRatio": PHONE_SCALE, "touch": true,
                },
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
            });
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // The hub's certificate comes from its own CA, which this fresh profile does
            // not know; the test checks the hub's TLS elsewhere, with that CA.
            "acceptInsecureCerts": true,
            "goog:chromeOptions": options,
        }}});
        let answer = chromium
            .http("POST", "/session", Some(capabilities))
            .await
            .expect("a browser session");
        chromium.session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"))
            .to_owned();
        chromium
    }

    /// One WebDriver command; its `value`. Panics with the driver's message on an error.
    async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let answer = self
            .http(method, &path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("{method} {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    async fn http(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .map_err(|e| e.to_string())?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        // chromedriver says "Connection: close" but keeps the socket open: read the
        // head, then exactly the body it announces.
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the driver closed the connection".into());
            }
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).to_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let chunked = head.contains("transfer-encoding: chunked");
        loop {
            let body = &raw[head_end..];
            let complete = match length {
                Some(n) => body.len() >= n,
                None if chunked => body.ends_with(b"0\r\n\r\n"),
                None => false,
            };
            if complete {
                break;
            }
            let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
        let rest = String::from_utf8_lossy(&raw[head_end..]).into_owned();
        let body = if chunked { dechunk(&rest) } else { rest };
        serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        self.command("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// The page's HTML as the browser has it.
    pub async fn source(&self) -> String {
        self.command("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(
                "POST",
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    /// Types `text` into the field `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.command(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Clicks (taps) `css`.
    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.command("POST", &format!("/element/{id}/click"), Some(json!({})))
            .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page; what it
    /// returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// How the page is laid out, measured: how far it is wider than the screen (0: no
    /// sideways scroll), the elements that reach past the screen's right edge, and every
    /// visible link, button, field and summary smaller than `min` CSS pixels in height
    /// or width, described.
    ///
    /// On a phone the screen's width is the phone's (360), not the window's: a phone's
    /// browser widens its layout to fit a page that is too wide (and shrinks it to fit),
    /// so the window would grow with the page and hide the overflow.
    pub async fn layout_problems(&self, min: f64) -> Layout {
        let screen_width = match self.screen {
            Screen::Phone => json!(PHONE_WIDTH),
            Screen::Laptop => json!(null),
        };
        let found = self
            .execute(
                r#"const min = arguments[0];
                   const width = arguments[1] || document.documentElement.clientWidth;
                   const page = document.documentElement.scrollWidth;
                   // On a phone the window itself may have grown to fit the page.
                   const overflow = (arguments[1] ? Math.max(page, window.innerWidth) : page) - width;
                   const describe = (e) => {
                     const r = e.getBoundingClientRect();
                     const what = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                       (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
                     return `${what} "${(e.textContent || e.value || e.name || '').trim().replace(/\s+/g, ' ').slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`;
                   };
                   const wide = [];
                   for (const e of document.body.querySelectorAll('*')) {
                     const r = e.getBoundingClientRect();
                     if (r.width === 0 && r.height === 0) continue;
                     // The outermost culprits only: their children are said with them.
                     if (r.right + window.scrollX > width + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right + window.scrollX > width + 1)) {
                       wide.push(`${describe(e)} ends at ${Math.round(r.right + window.scrollX)}`);
                     }
                   }
                   const small = [];
                   for (const e of document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea, summary')) {
                     const r = e.getBoundingClientRect();
                     if (r.width === 0 && r.height === 0) continue;
                     if (e.closest('details:not([open])') && e.tagName !== 'SUMMARY') continue;
                     let box = r;
                     // A check box or radio counts with its label, which takes the tap.
                     if ((e.type === 'checkbox' || e.type === 'radio') && e.closest('label')) {
                       box = e.closest('label').getBoundingClientRect();
                     }
                     if (box.height < min || box.width < min) {
                       small.push(`${e.tagName.toLowerCase()} "${(e.textContent || e.value || e.name || '').trim().slice(0, 40)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
                     }
                   }
                   return [overflow, small, wide];"#,
                json!([min, screen_width]),
            )
            .await;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Layout {
            overflow: found[0].as_f64().unwrap_or(f64::MAX),
            small: strings(&found[1]),
            too_wide: strings(&found[2]),
        }
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let b64 = self.command("GET", "/screenshot", None).await;
        nabij_protocol::base64::decode(b64.as_str().unwrap_or("")).expect("a base64 PNG")
    }

    /// A command of Chromium's own DevTools protocol (chromedriver passes it on).
    async fn devtools(&self, cmd: &str, params: Value) -> Value {
        self.command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    /// A PNG of the whole page, from its top to its end (what a person scrolls
    /// through): the screen is made as tall as the page for the picture, so that what
    /// stays at the bottom of the screen (a save button) is drawn once, where the page
    /// ends. WebDriver's own screenshot is the screen's.
    pub async fn full_screenshot(&self) -> Vec<u8> {
        let metrics = self.devtools("Page.getLayoutMetrics", json!({})).await;
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(800.0);
        let width = metrics["cssLayoutViewport"]["clientWidth"]
            .as_f64()
            .unwrap_or(1280.0);
        let (scale, mobile) = match self.screen {
            Screen::Phone => (PHONE_SCALE, true),
            // 0: the screen's own.
            Screen::Laptop => (0.0, false),
        };
        let tall = json!({
            "width": width.round(), "height": height.ceil(), "deviceScaleFactor": scale, "mobile": mobile,
        });
        self.devtools("Emulation.setDeviceMetricsOverride", tall)
            .await;
        let shot = self
            .devtools("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        match self.screen {
            Screen::Phone => {
                let phone = json!({
                    "width": PHONE_WIDTH, "height": PHONE_HEIGHT, "deviceScaleFactor": PHONE_SCALE, "mobile": true,
                });
                self.devtools("Emulation.setDeviceMetricsOverride", phone)
                    .await
            }
            Screen::Laptop => {
                self.devtools("Emulation.clearDeviceMetricsOverride", json!({}))
                    .await
            }
        };
        nabij_protocol::base64::decode(shot["data"].as_str().unwrap_or("")).expect("a base64 PNG")
    }

    /// Ends the session (the browser closes) and the driver.
    pub async fn quit(self) {
        // Drop does it: the same whether the test ends well or panics halfway.
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Without this a failed test would leave its browser running: killing the driver
        // does not close the browser. Blocking, with a short timeout, as Drop cannot wait.
        use std::io::{Read, Write};
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
                self.session
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = [0u8; 512];
                let _ = stream.read(&mut answer);
            }
        }
        let _ = self.driver.start_kill();
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
