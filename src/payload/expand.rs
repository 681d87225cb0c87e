//! What a tunnel app does with a payload before sending it: markers replaced, the text cut
//! at each `[split]` into separate writes. The tests use it to send generated payloads to
//! the real proxy exactly as an app would. No I/O.

/// What `[ua]` becomes (a common Android browser string, as the apps send).
pub const USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";

/// The split markers the apps know; each ends one write and starts the next.
const SPLITS: [&str; 3] = ["[split]", "[delay_split]", "[instant_split]"];

/// The bytes of each write, in order. Unknown `[markers]` are sent as written.
pub fn expand(payload: &str, host_port: &str) -> Vec<Vec<u8>> {
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
    let text = payload
        .replace("[host_port]", host_port)
        .replace("[host]", host)
        .replace("[port]", port)
        .replace("[protocol]", "HTTP/1.1")
        .replace("[ua]", USER_AGENT)
        .replace("[crlf]", "\r\n")
        .replace("[lfcr]", "\n\r")
        .replace("[cr]", "\r")
        .replace("[lf]", "\n");
    let mut parts = vec![text];
    for marker in SPLITS {
        parts = parts.iter().flat_map(|p| p.split(marker).map(str::to_owned).collect::<Vec<_>>()).collect();
    }
    parts.into_iter().filter(|p| !p.is_empty()).map(String::into_bytes).collect()
}
