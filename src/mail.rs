//! Sending email over SMTP (lettre): reminders about keys. Messages wait in the `mail_outbox`
//! table; a sender claims each one in the database before sending, so with several server
//! processes each is sent once, and a failed send is retried with backoff. Never on a request's
//! path, and never with a secret in it.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{redacted_smtp_url as redacted, MailSettings};

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp://` requires STARTTLS unless the URL says `?tls=none` (a local relay) or
    /// `?tls=opportunistic`; `smtps://` is TLS from the start.
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let mut u = url::Url::parse(&settings.smtp_url).map_err(|_| {
            anyhow::anyhow!("--smtp-url is not a URL: {}", redacted(&settings.smtp_url))
        })?;
        let tls = u
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "tls")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        u.set_query(None);
        {
            let mut q = u.query_pairs_mut();
            for (k, v) in &pairs {
                q.append_pair(k, v);
            }
            match (u_scheme(&settings.smtp_url).as_str(), tls.as_deref()) {
                ("smtp", None | Some("required")) => {
                    q.append_pair("tls", "required");
                }
                ("smtp", Some("opportunistic")) => {
                    q.append_pair("tls", "opportunistic");
                }
                ("smtp", Some("none")) | ("smtps", None) => {}
                _ => anyhow::bail!(
                    "--smtp-url: use smtp:// (with ?tls=required, opportunistic or none) or smtps://"
                ),
            }
        }
        let url = u.as_str().trim_end_matches('?').to_owned();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| {
                anyhow::anyhow!(
                    "--smtp-url {} is not usable: {e}",
                    redacted(&settings.smtp_url)
                )
            })?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from: Mailbox = settings.from.parse().map_err(|e| {
            anyhow::anyhow!("--mail-from {:?} is not an address: {e}", settings.from)
        })?;
        Ok(Self { transport, from })
    }

    /// Sends one plain-text message to every recipient (one envelope).
    pub async fn send(&self, to: &[String], subject: &str, body: &str) -> anyhow::Result<()> {
        let mut m = Message::builder().from(self.from.clone()).subject(subject);
        for r in to {
            m = m.to(r.parse()?);
        }
        let message = m
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        self.transport.send(message).await?;
        Ok(())
    }
}

fn u_scheme(raw: &str) -> String {
    raw.split("://")
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// How long to wait before trying a failed message again: 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff(attempts: i32) -> time::Duration {
    let minutes = 1i64 << attempts.clamp(1, 10).saturating_sub(1);
    time::Duration::minutes(minutes.min(360))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> MailSettings {
        MailSettings {
            smtp_url: url.into(),
            from: "Mailrith <keys@example.com>".into(),
        }
    }

    #[test]
    fn urls_and_addresses_are_checked() {
        assert!(Mailer::new(&settings("smtp://user:pw@mail.example.com:587")).is_ok());
        assert!(Mailer::new(&settings("smtps://user:pw@mail.example.com")).is_ok());
        assert!(Mailer::new(&settings("smtp://127.0.0.1:2525?tls=none")).is_ok());
        assert!(Mailer::new(&settings("http://mail.example.com")).is_err());
        assert!(Mailer::new(&settings("smtp://mail.example.com?tls=sometimes")).is_err());
        let bad_from = MailSettings {
            from: "not an address".into(),
            ..settings("smtp://127.0.0.1:2525?tls=none")
        };
        assert!(Mailer::new(&bad_from).is_err());
        assert_eq!(
            crate::config::redacted_smtp_url("smtp://user:secret@mail.example.com:587"),
            "smtp://user:****@mail.example.com:587"
        );
    }

    #[test]
    fn retries_back_off() {
        assert_eq!(backoff(1), time::Duration::minutes(1));
        assert_eq!(backoff(3), time::Duration::minutes(4));
        assert_eq!(backoff(30), time::Duration::minutes(360));
    }
}
