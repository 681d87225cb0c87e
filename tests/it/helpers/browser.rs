//! Headless Chromium driven over WebDriver (Debian's `chromium` + `chromedriver`, flags
//! from testing.md), for the UI tests. `Browser::start` answers `None` when the tools are
//! missing, which is a failure under `WSS_REQUIRE_TOOLS=1`.

use super::sshd::{free_port, have_tool};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How the browser differs from a plain desktop one on this machine.
#[derive(Default)]
pub struct BrowserOpts {
    /// `--host-resolver-rules`, e.g. `MAP vps.example.net 127.0.0.1`: the panel opened by a
    /// domain over plain HTTP, where the page is not a secure context.
    pub host_rules: Option<String>,
    /// The browser's time zone (`TZ` in Chromium's environment).
    pub tz: Option<&'static str>,
    /// The browser's locale, e.g. `en-US` (`--lang` and the accepted languages).
    pub lang: Option<&'static str>,
}

impl Browser {
    pub async fn start() -> Option<Browser> {
        Self::start_with(BrowserOpts::default()).await
    }

    pub async fn start_with(opts: BrowserOpts) -> Option<Browser> {
        if !have_tool("chromedriver") || !have_tool(CHROMIUM) {
            return None;
        }
        let port = free_port();
        let mut command = Command::new("chromedriver");
        // chromedriver starts Chromium with its own environment.
        if let Some(tz) = opts.tz {
            command.env("TZ", tz);
        }
        if let Some(lang) = opts.lang {
            command.env("LANGUAGE", lang.replace('-', "_"));
        }
        // Its own process group, which Chromium joins: see `Drop`.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let user_data = format!("--user-data-dir={}", profile.path().display());
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--window-size=1280,900",
            &user_data,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        if let Some(rules) = opts.host_rules {
            args.push(format!("--host-resolver-rules={rules}"));
        }
        let mut chrome = json!({ "binary": CHROMIUM, "args": args });
        if let Some(lang) = opts.lang {
            chrome["args"].as_array_mut().unwrap().push(json!(format!("--lang={lang}")));
            chrome["prefs"] = json!({ "intl": { "accept_languages": lang } });
        }
        let caps = json!({ "goog:chromeOptions": chrome });
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap();
        Some(Browser { client, driver, _profile: profile })
    }

    /// The element's text once it satisfies `want`, polled for up to `limit`.
    pub async fn wait_text(&self, css: &str, limit: Duration, want: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = el.text().await
                && want(&text)
            {
                return Some(text);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element once it exists, polled for up to 10 s. A find that fails because the page
    /// was navigating at that moment ("aborted by navigation") is tried again, like a miss.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(el) => return el,
                Err(e) if Instant::now() > deadline => panic!("{css} did not appear in 10 s: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Finds and clicks; finds again when the element was replaced in between (a list draws
    /// from its cache, then again when its data arrives).
    pub async fn click(&self, css: &str) {
        use fantoccini::error::{CmdError, ErrorStatus};
        for _ in 0..5 {
            match self.wait_for(css).await.click().await {
                Err(CmdError::Standard(e)) if e.error == ErrorStatus::StaleElementReference => continue,
                result => return result.unwrap(),
            }
        }
        panic!("{css} was replaced five times while being clicked");
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Runs `script` (a function body) in the page.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Every resource the page loaded, from the browser's resource timing log, plus the
    /// page itself.
    pub async fn loaded_urls(&self) -> Vec<String> {
        let v = self
            .js("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);")
            .await;
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = std::env::var_os("WSS_TEST_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, self.client.screenshot().await.unwrap()).unwrap();
        path
    }

    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// A test that fails before `quit` must not leave Chromium running (killing chromedriver
    /// alone orphans it): the whole process group goes, while chromedriver, its leader, is
    /// not reaped yet (so the group id cannot have been reused).
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.driver.kill();
    }
}
