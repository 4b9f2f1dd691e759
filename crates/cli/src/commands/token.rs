//! `fstack token issue|revoke`.

pub(crate) mod args;

use anyhow::Result;
use ferrostack::auth::Token;

use self::args::TokenCommand;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `token` command.
pub async fn run(ctx: &Context, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Issue(args) => {
            let cloud = ctx.cloud().await?;
            let token = cloud.identity().tokens().issue().await?;
            print::one(&args.output, token_fields(&token))
        }
        TokenCommand::Revoke(args) => {
            let cloud = ctx.cloud().await?;
            cloud.identity().tokens().revoke(&args.token).await?;
            Ok(())
        }
    }
}

/// openstackclient's fields, sorted by name as it sorts them; the id is the one place a
/// token is printed, because printing it is what `token issue` is for.
fn token_fields(token: &Token) -> Vec<(&'static str, Cell)> {
    let mut fields = Vec::new();
    if let Some(domain) = &token.domain {
        fields.push(("domain_id", Cell::opt(domain.id.clone())));
    }
    fields.push((
        "expires",
        Cell::str(token.expires_at.strftime("%Y-%m-%dT%H:%M:%S%z").to_string()),
    ));
    fields.push(("id", Cell::str(token.id.expose())));
    if let Some(project) = &token.project {
        fields.push(("project_id", Cell::str(project.id.clone())));
    }
    if let Some(system) = &token.system {
        let scope = system
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        fields.push(("system", Cell::str(scope)));
    }
    fields.push(("user_id", Cell::str(token.user.id.clone())));
    fields
}
