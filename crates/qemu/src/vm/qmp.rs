//! A minimal QMP client: one JSON object per line, commands answered by `return` or `error`,
//! asynchronous `event`s kept aside.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

use crate::error::{Error, Result};

/// An open QMP session, past the capabilities negotiation.
#[derive(Debug)]
pub struct Qmp {
    lines: Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
    events: Vec<Value>,
}

impl Qmp {
    /// Reads the greeting and leaves capabilities negotiation mode.
    pub async fn handshake(stream: UnixStream) -> Result<Self> {
        let (reader, writer) = stream.into_split();
        let mut qmp = Qmp {
            lines: BufReader::new(reader).lines(),
            writer,
            events: Vec::new(),
        };
        let greeting = qmp.read_message().await?;
        if greeting.get("QMP").is_none() {
            return Err(Error::Qmp(format!("expected a greeting, got {greeting}")));
        }
        qmp.execute("qmp_capabilities", None).await?;
        Ok(qmp)
    }

    /// Runs `command` with optional `arguments` and returns its `return` value.
    pub async fn execute(&mut self, command: &str, arguments: Option<Value>) -> Result<Value> {
        let mut request = json!({ "execute": command });
        if let Some(arguments) = arguments {
            request["arguments"] = arguments;
        }
        let mut line = request.to_string();
        line.push('\n');
        self.writer
            .write_all(line.as_bytes())
            .await
            .map_err(|err| Error::Qmp(format!("sending {command}: {err}")))?;
        loop {
            let mut message = self.read_message().await?;
            if message.get("event").is_some() {
                self.events.push(message);
            } else if let Some(value) = message.get_mut("return") {
                return Ok(value.take());
            } else if let Some(error) = message.get("error") {
                return Err(Error::Qmp(format!("{command} failed: {error}")));
            }
        }
    }

    /// The events received so far (e.g. `POWERDOWN`, `SHUTDOWN`), oldest first.
    pub fn events(&self) -> &[Value] {
        &self.events
    }

    /// Waits for an event for which `matches` is true (one already received counts, and is
    /// taken out of [`Qmp::events`]), for at most `deadline`.
    pub async fn wait_event(
        &mut self,
        matches: impl Fn(&Value) -> bool,
        deadline: Duration,
    ) -> Result<Value> {
        if let Some(index) = self.events.iter().position(&matches) {
            return Ok(self.events.remove(index));
        }
        let waiting = async {
            loop {
                let message = self.read_message().await?;
                if message.get("event").is_none() {
                    continue;
                }
                if matches(&message) {
                    return Ok(message);
                }
                self.events.push(message);
            }
        };
        // Cancelling is safe: a line is either read whole or left in the buffer.
        tokio::time::timeout(deadline, waiting)
            .await
            .map_err(|_| Error::Qmp(format!("no such event within {deadline:?}")))?
    }

    async fn read_message(&mut self) -> Result<Value> {
        let line = self
            .lines
            .next_line()
            .await
            .map_err(|err| Error::Qmp(format!("reading: {err}")))?
            .ok_or_else(|| Error::Qmp("qemu closed the QMP socket".to_owned()))?;
        serde_json::from_str(&line).map_err(|err| Error::Qmp(format!("not JSON ({err}): {line}")))
    }
}
