//! `wss-panel connect`: an OpenSSH `ProxyCommand` that speaks the tunnel protocol, so that
//! `ssh -o ProxyCommand='wss-panel connect ws://host:80 --user U --password-file F' U@host`
//! works from Linux and macOS. stdin/stdout carry the SSH stream; messages go to stderr.

use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_RESPONSE_HEAD: usize = 16 * 1024;

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// ws://HOST:PORT or wss://HOST:PORT
    pub url: String,
    #[arg(long)]
    pub user: String,
    /// File whose first line is the password (else $WSS_PASSWORD).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Host header to send (default: the URL's host).
    #[arg(long)]
    pub host_header: Option<String>,
    /// wss:// without verifying the server certificate.
    #[arg(long)]
    pub insecure: bool,
    /// wss:// trusting this CA (PEM) instead of none.
    #[arg(long)]
    pub ca: Option<PathBuf>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Opens the tunnel and pipes stdin/stdout through it until either side ends.
pub async fn run(args: ConnectArgs) -> anyhow::Result<()> {
    let (tls, rest) = match args.url.split_once("://") {
        Some(("ws", rest)) => (false, rest),
        Some(("wss", rest)) => (true, rest),
        _ => anyhow::bail!("the URL must start with ws:// or wss://"),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h.trim_matches(['[', ']']).to_owned(), p.parse::<u16>()?),
        None => (authority.to_owned(), if tls { 443 } else { 80 }),
    };
    let password = read_password(&args)?;
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    tcp.set_nodelay(true)?;
    let mut stream: Box<dyn Io> =
        if tls { Box::new(tls_connect(tcp, &host, &args).await?) } else { Box::new(tcp) };
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", args.user));
    let host_header = args.host_header.clone().unwrap_or_else(|| host.clone());
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nProxy-Authorization: Basic {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let early = read_101(&mut stream).await?;
    let mut stdout = tokio::io::stdout();
    stdout.write_all(&early).await?;
    stdout.flush().await?;
    let (mut r, mut w) = tokio::io::split(stream);
    let mut stdin = tokio::io::stdin();
    let up = async {
        tokio::io::copy(&mut stdin, &mut w).await?;
        w.shutdown().await
    };
    let down = async {
        tokio::io::copy(&mut r, &mut stdout).await?;
        stdout.flush().await
    };
    tokio::select! {
        r = down => r?,
        r = async { up.await?; std::future::pending::<std::io::Result<()>>().await } => r?,
    }
    Ok(())
}

fn read_password(args: &ConnectArgs) -> anyhow::Result<String> {
    let raw = match &args.password_file {
        Some(path) => std::fs::read_to_string(path)?,
        None => std::env::var("WSS_PASSWORD")
            .map_err(|_| anyhow::anyhow!("give --password-file or set WSS_PASSWORD"))?,
    };
    Ok(raw.lines().next().unwrap_or_default().to_owned())
}

/// Reads the response head; anything but 101 is an error naming the status. Returns the
/// bytes that came after the head (the start of the SSH stream).
async fn read_101(stream: &mut Box<dyn Io>) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head.lines().next().unwrap_or_default().to_owned();
            anyhow::ensure!(status.split_whitespace().nth(1) == Some("101"), "tunnel refused: {status}");
            return Ok(buf[end + 4..].to_vec());
        }
        anyhow::ensure!(buf.len() < MAX_RESPONSE_HEAD, "no HTTP response head from the server");
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "the server closed the connection before answering");
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn tls_connect(
    tcp: TcpStream,
    host: &str,
    args: &ConnectArgs,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = if args.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    } else {
        let ca = args.ca.as_ref().ok_or_else(|| anyhow::anyhow!("wss:// needs --ca FILE or --insecure"))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca)? {
            roots.add(cert?)?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    let name = ServerName::try_from(host.to_owned())?;
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await?)
}

/// `--insecure` (and the SNI finder, which reads names, trusts nothing): accepts any
/// certificate (signatures are still checked for the handshake).
#[derive(Debug)]
pub(crate) struct AcceptAny(pub(crate) Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
