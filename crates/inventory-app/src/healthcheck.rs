//! `inventory healthcheck`: asks the server on this host whether it is healthy, for container
//! health checks (the runtime image has no curl, and needs none).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, bail};

/// How long connecting and answering may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Succeeds when `GET /health` on the server bound at `bind` answers 200 (healthy, or degraded
/// with Redis down: the API still works); fails on any other answer or none.
///
/// # Errors
/// A sentence saying what the server answered, or why it could not be asked.
pub fn check(bind: &str) -> anyhow::Result<()> {
    let address = local_address(bind)?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .with_context(|| format!("nothing answers on {address}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut answer)
        .context("reading the answer")?;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        bail!("the server is not healthy: {status_line}");
    }
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    println!("{}", body.trim());
    Ok(())
}

/// The address to ask: the bound port on the loopback interface when the server listens on
/// every interface (`0.0.0.0` or `[::]`), the bound address otherwise.
fn local_address(bind: &str) -> anyhow::Result<SocketAddr> {
    let address = bind
        .to_socket_addrs()
        .with_context(|| format!("{bind:?} is not an address"))?
        .next()
        .with_context(|| format!("{bind:?} names no address"))?;
    Ok(match address {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v6.port()))
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_on_every_interface_is_asked_on_the_loopback() {
        assert_eq!(
            local_address("0.0.0.0:8080").expect("valid"),
            "127.0.0.1:8080".parse().expect("valid")
        );
        assert_eq!(
            local_address("[::]:8080").expect("valid"),
            "[::1]:8080".parse().expect("valid")
        );
        assert_eq!(
            local_address("127.0.0.1:9000").expect("valid"),
            "127.0.0.1:9000".parse().expect("valid")
        );
        assert!(local_address("not an address").is_err());
    }
}
