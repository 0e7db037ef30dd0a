//! A real SMTP listener for the tests: speaks enough SMTP for lettre (EHLO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT) on a local port and keeps every message it accepts. It can be told to refuse
//! the next messages with a temporary failure, to test retries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The message as a reader sees it: the headers, then the body decoded from its
    /// `Content-Transfer-Encoding` (lettre picks quoted-printable when a line is long, and its
    /// soft line breaks may fall inside a link).
    pub fn text(&self) -> String {
        let data = self.data.replace("\r\n", "\n");
        let Some((head, body)) = data.split_once("\n\n") else {
            panic!("a message without a body: {data}");
        };
        let encoding = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-transfer-encoding:")
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default();
        let body = match encoding.as_str() {
            "quoted-printable" => String::from_utf8(
                quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
                    .expect("valid quoted-printable"),
            )
            .expect("UTF-8"),
            "base64" => {
                use base64::Engine;
                let joined: String = body.split_whitespace().collect();
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(joined)
                        .expect("valid base64"),
                )
                .expect("UTF-8")
            }
            _ => body.to_owned(),
        };
        format!("{head}\n\n{body}")
    }
}

#[derive(Clone)]
pub struct SmtpServer {
    pub addr: String,
    received: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicUsize>,
}

impl SmtpServer {
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The next `n` messages get `451` (try again later).
    pub fn refuse_next(&self, n: usize) {
        self.refuse.store(n, Ordering::SeqCst);
    }

    /// The URL for `--smtp-url` (plain SMTP: a local relay).
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }
}

fn address(arg: &str) -> String {
    arg.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}

pub async fn smtp_server() -> SmtpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = SmtpServer {
        addr: listener.local_addr().unwrap().to_string(),
        received: Arc::default(),
        refuse: Arc::default(),
    };
    let s = server.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                let (mut from, mut to) = (String::new(), Vec::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-test.local\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM") {
                        from = address(&line);
                        to.clear();
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO") {
                        to.push(address(&line));
                        b"250 OK\r\n"
                    } else if upper == "DATA" {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(l.strip_prefix('.').unwrap_or(&l));
                            data.push('\n');
                        }
                        let refused = s
                            .refuse
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        if refused {
                            b"451 4.3.0 try again later\r\n"
                        } else {
                            s.received.lock().unwrap().push(Received {
                                from: from.clone(),
                                to: to.clone(),
                                data,
                            });
                            b"250 OK queued\r\n"
                        }
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
                        b"250 OK\r\n"
                    } else {
                        b"502 not implemented\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    server
}
