//! A headless Chromium for the web page tests, driven over WebDriver by fantoccini: each
//! [`Browser`] starts its own chromedriver on a free loopback port with a fresh profile, and
//! kills both (the whole process group) when dropped.

use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Bound of every wait for the browser or the page.
pub const WAIT: Duration = Duration::from_secs(20);

static PROFILES: AtomicUsize = AtomicUsize::new(0);

/// chromedriver (and the Chromium it starts, same process group) and the profile directory.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)); Chromium stays in that group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts chromedriver and waits (bounded) until its /status says ready.
async fn start_driver(profile: PathBuf) -> Result<(Driver, String), String> {
    let port = free_loopback_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting {CHROMEDRIVER} (apt-get install chromium-driver): {e}"))?;
    let mut driver = Driver { child, profile };
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(status)) = driver.child.try_wait() {
            return Err(format!(
                "chromedriver exited at start ({status}); port {port} taken?"
            ));
        }
        if let Ok(res) = http.get(format!("{url}/status")).send().await {
            if let Ok(body) = res.json::<serde_json::Value>().await {
                if body["value"]["ready"] == true {
                    return Ok((driver, url));
                }
            }
        }
        if Instant::now() > deadline {
            return Err(format!("chromedriver not ready on {url} within {WAIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub struct Browser {
    pub client: Client,
    /// Screenshots are named `<prefix>-<name>.png`.
    prefix: String,
    _driver: Driver,
}

impl Browser {
    /// A headless Chromium with a fresh profile; `prefix` names its screenshots.
    pub async fn start(prefix: &str) -> Browser {
        let mut last_error = String::new();
        // A port found free can be taken before chromedriver binds it: try a few.
        for _ in 0..3 {
            let profile = std::env::temp_dir().join(format!(
                "qbsync-chromium-{}-{}",
                std::process::id(),
                PROFILES.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&profile).expect("profile directory");
            let (driver, url) = match start_driver(profile.clone()).await {
                Ok(d) => d,
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&profile);
                    last_error = e;
                    continue;
                }
            };
            let args = [
                "--headless=new".to_string(),
                "--no-sandbox".into(),
                "--disable-gpu".into(),
                "--disable-dev-shm-usage".into(),
                "--disable-quic".into(),
                "--no-first-run".into(),
                "--disable-background-networking".into(),
                "--disable-component-update".into(),
                "--disable-sync".into(),
                "--window-size=1400,1000".into(),
                format!("--user-data-dir={}", profile.display()),
            ];
            let mut caps = serde_json::Map::new();
            caps.insert("browserName".into(), "chrome".into());
            caps.insert(
                "goog:chromeOptions".into(),
                serde_json::json!({ "binary": CHROMIUM, "args": args }),
            );
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps);
            match tokio::time::timeout(WAIT * 2, builder.connect(&url)).await {
                Ok(Ok(client)) => {
                    return Browser {
                        client,
                        prefix: prefix.to_string(),
                        _driver: driver,
                    }
                }
                Ok(Err(e)) => last_error = format!("new WebDriver session: {e}"),
                Err(_) => last_error = "no WebDriver session within the deadline".into(),
            }
        }
        panic!("no browser: {last_error}");
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .to_string()
    }

    /// The first element matching `css`, waiting for it (bounded).
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.expect("attribute")
    }

    /// Clicks `css` and waits until the page it leads to has loaded (the old page is gone).
    pub async fn click_and_load(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("the current page");
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        let deadline = Instant::now() + WAIT;
        loop {
            match old.tag_name().await {
                Err(CmdError::Standard(e)) if e.error == ErrorStatus::StaleElementReference => {
                    break
                }
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "clicking {css} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.find("body").await;
    }

    /// Saves a screenshot of the window as `target/screenshots/<prefix>-<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("screenshots directory");
        let path = dir.join(format!("{}-{name}.png", self.prefix));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Ends the WebDriver session (Chromium quits); the driver goes on drop.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// `target/screenshots` of the workspace (or of CARGO_TARGET_DIR).
pub fn screenshots_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("screenshots")
}
