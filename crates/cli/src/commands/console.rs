//! `fstack console log show|url show`.

pub(crate) mod args;

use anyhow::{Context as _, Result, bail};
use ferrostack::compute::VncConsole;

use self::args::{ConsoleCommand, ConsoleLogCommand, ConsoleUrlCommand};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `console` command.
pub async fn run(ctx: &Context, command: ConsoleCommand) -> Result<()> {
    match command {
        ConsoleCommand::Log {
            command: ConsoleLogCommand::Show(args),
        } => {
            let compute = ctx.cloud().await?.compute();
            let server = super::server::find(&compute, &args.server).await?;
            let output = compute
                .servers()
                .console_output(&server.id, args.lines)
                .await
                .with_context(|| {
                    format!("cannot read the console log of server {}", args.server)
                })?;
            // As osc: the log as Nova gives it, with a final newline when it lacks one.
            let mut text = output;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            print::write_stdout(&text)
        }
        ConsoleCommand::Url {
            command: ConsoleUrlCommand::Show(args),
        } => {
            let kind = match (args.xvpvnc, args.spice, args.serial) {
                (true, _, _) => VncConsole::XvpVnc,
                (_, true, _) => {
                    bail!("--spice: fstack opens VNC consoles only (--novnc, --xvpvnc)")
                }
                (_, _, true) => {
                    bail!("--serial: fstack opens VNC consoles only (--novnc, --xvpvnc)")
                }
                _ => VncConsole::NoVnc,
            };
            let compute = ctx.cloud().await?.compute();
            let server = super::server::find(&compute, &args.server).await?;
            let url = compute
                .servers()
                .remote_console(&server.id, kind)
                .await
                .with_context(|| format!("cannot open a console on server {}", args.server))?;
            print::one(
                &args.output,
                vec![
                    ("protocol", Cell::str("vnc")),
                    ("type", Cell::str(kind.as_str())),
                    ("url", Cell::str(url)),
                ],
            )
        }
    }
}
