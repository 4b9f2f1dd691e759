//! Keystone: every way the SDK authenticates (password by name and by id, token,
//! application credential), every scope (project, domain, system, none), token
//! validate/check/revoke, the catalog, and the current user and project.

use anyhow::{Context, Result, bail, ensure};
use ferrostack::auth::Token;
use ferrostack::config::AuthType;
use ferrostack::config::CloudConfig;
use ferrostack::request::{Request, ServiceType};
use ferrostack::{Cloud, ErrorKind, Secret};
use serde_json::json;

use crate::expect;
use crate::{ADMIN, Case, DEMO, DOMAIN_ADMIN, Fixture, case};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        case!("identity.password.by_name", password_by_name),
        case!("identity.password.by_user_id", password_by_user_id),
        case!("identity.password.wrong", wrong_password),
        case!("identity.token_method", token_method),
        case!("identity.application_credential", application_credential),
        case!("identity.scope.domain", domain_scope),
        case!("identity.scope.system", system_scope),
        case!("identity.scope.unscoped", unscoped),
        case!(
            "identity.token.validate_check_revoke",
            validate_check_revoke
        ),
        case!("identity.catalog", catalog),
        case!(
            "identity.current_user_and_project",
            current_user_and_project
        ),
    ]
}

/// A fresh token for `config`, with what the case was doing on failure.
async fn issue(config: CloudConfig, what: &str) -> Result<Token> {
    Cloud::new(config)
        .with_context(|| format!("{what}: configuration"))?
        .identity()
        .tokens()
        .issue()
        .await
        .with_context(|| format!("{what}: issuing a token"))
}

fn has_method(token: &Token, method: &str) -> Result<()> {
    ensure!(
        token.methods.iter().any(|m| m == method),
        "the token's methods are {:?}, without {method:?}",
        token.methods
    );
    Ok(())
}

fn has_role(token: &Token, role: &str) -> Result<()> {
    ensure!(
        token.roles.iter().any(|r| r.name.as_deref() == Some(role)),
        "the token's roles are {:?}, without {role:?}",
        token.roles
    );
    Ok(())
}

fn project_name(token: &Token) -> Option<&str> {
    token.project.as_ref().and_then(|p| p.name.as_deref())
}

fn catalog_types(token: &Token) -> Vec<&str> {
    let mut types: Vec<&str> = token
        .catalog
        .iter()
        .map(|e| e.service_type.as_str())
        .collect();
    types.sort_unstable();
    types
}

/// The standard configuration: user and project by name, with their domains.
async fn password_by_name(f: &Fixture) -> Result<()> {
    let token = f.admin.identity().tokens().issue().await?;
    has_method(&token, "password")?;
    expect::equal("user", token.user.name.as_deref(), Some(ADMIN.user))?;
    expect::equal("project", project_name(&token), ADMIN.project)?;
    let project_domain = token.project.as_ref().and_then(|p| p.domain.clone());
    expect::equal(
        "project domain",
        project_domain.and_then(|d| d.id),
        Some("default".to_owned()),
    )?;
    has_role(&token, "admin")?;
    ensure!(token.domain.is_none() && token.system.is_none());
    let types = catalog_types(&token);
    ensure!(
        types.contains(&"identity") && types.contains(&"image"),
        "the catalog has {types:?}, not identity and image"
    );
    ensure!(
        !token.expires_within(std::time::Duration::from_secs(60)),
        "the token expires at {}, within a minute",
        token.expires_at
    );
    ensure!(!token.id.is_empty(), "no X-Subject-Token");
    ensure!(!token.audit_ids.is_empty(), "no audit ids");

    // The member gets a token for its own project, with its role.
    let token = f.demo.identity().tokens().issue().await?;
    expect::equal("demo project", project_name(&token), DEMO.project)?;
    has_role(&token, "member")?;
    Ok(())
}

/// The user by id and the project by id, neither with a domain.
async fn password_by_user_id(f: &Fixture) -> Result<()> {
    let by_name = f.admin.identity().tokens().issue().await?;
    let mut config = f.target.admin.clone();
    config.auth.username = None;
    config.auth.user_domain_id = None;
    config.auth.user_id = Some(by_name.user.id.clone());
    config.auth.project_name = None;
    config.auth.project_domain_id = None;
    config.auth.project_id = by_name.project_id().map(str::to_owned);
    let cloud = Cloud::new(config)?;
    let token = cloud.identity().tokens().issue().await?;
    has_method(&token, "password")?;
    expect::equal("user id", &token.user.id, &by_name.user.id)?;
    expect::equal("project id", token.project_id(), by_name.project_id())?;
    // The session built on it reaches Glance through the catalog.
    cloud
        .image()
        .images()
        .list()
        .limit(1)
        .first_page()
        .await
        .context("listing images with the id-based session")?;
    Ok(())
}

/// A wrong password and an unknown user are both a 401, and nothing says which.
async fn wrong_password(f: &Fixture) -> Result<()> {
    let mut config = f.target.admin.clone();
    config.auth.password = Some(Secret::new("not-the-password"));
    let result = Cloud::new(config)?.identity().tokens().issue().await;
    let err = expect::error("wrong password", result, ErrorKind::Unauthorized, Some(401))?;
    ensure!(
        !err.to_string().contains("not-the-password"),
        "the error shows the password: {err}"
    );
    let mut config = f.target.admin.clone();
    config.auth.username = Some(f.name("nobody"));
    let result = Cloud::new(config)?.identity().tokens().issue().await;
    expect::error("unknown user", result, ErrorKind::Unauthorized, Some(401))?;
    Ok(())
}

/// An existing token exchanged for a new one (`auth_type: token`), scoped to the project.
async fn token_method(f: &Fixture) -> Result<()> {
    let first = f.admin.identity().tokens().issue().await?;
    let mut config = f.target.admin.clone();
    config.auth_type = AuthType::Token;
    config.auth.username = None;
    config.auth.user_domain_id = None;
    config.auth.password = None;
    config.auth.token = Some(first.id.clone());
    let token = issue(config, "token method").await?;
    has_method(&token, "token")?;
    ensure!(
        token.id != first.id,
        "Keystone gave back the same token instead of a new one"
    );
    expect::equal("user", &token.user.id, &first.user.id)?;
    expect::equal("project", project_name(&token), ADMIN.project)?;
    ensure!(
        token.audit_ids.len() == 2 && token.audit_ids.get(1) == first.audit_ids.first(),
        "a rescoped token carries its own audit id and its parent's: {:?} (parent {:?})",
        token.audit_ids,
        first.audit_ids
    );
    Ok(())
}

/// An application credential made by the member over the identity API, used by id and by
/// name + user; it is scoped to the member's project, and stops working once deleted.
async fn application_credential(f: &Fixture) -> Result<()> {
    let owner = f.demo.identity().tokens().current().await?;
    let user_id = owner.user.id.clone();
    let name = f.name("appcred");
    let created: serde_json::Value = f
        .demo
        .session()
        .send_json(
            Request::post(
                ServiceType::Identity,
                format!("/users/{user_id}/application_credentials"),
            )
            .json(json!({"application_credential": {
                "name": name, "description": "conformance suite"}})),
        )
        .await
        .context("creating an application credential")?;
    let credential = &created["application_credential"];
    let (Some(id), Some(secret)) = (credential["id"].as_str(), credential["secret"].as_str())
    else {
        bail!("the created application credential has no id or secret: {credential}");
    };
    f.track_application_credential(&f.demo, &user_id, id);
    expect::equal(
        "credential project",
        credential["project_id"].as_str(),
        owner.project_id(),
    )?;

    let with = |by_id: bool| {
        let mut config = f.target.demo.clone();
        config.auth_type = AuthType::ApplicationCredential;
        config.auth.password = None;
        config.auth.project_name = None;
        config.auth.project_domain_id = None;
        config.auth.application_credential_secret = Some(Secret::new(secret));
        if by_id {
            config.auth.username = None;
            config.auth.user_domain_id = None;
            config.auth.application_credential_id = Some(id.to_owned());
        } else {
            config.auth.application_credential_name = Some(name.clone());
        }
        config
    };
    for by_id in [true, false] {
        let what = if by_id { "by id" } else { "by name and user" };
        let cloud = Cloud::new(with(by_id))?;
        let token = cloud
            .identity()
            .tokens()
            .issue()
            .await
            .with_context(|| format!("application credential {what}"))?;
        has_method(&token, "application_credential")?;
        expect::equal("user", &token.user.id, &user_id)?;
        expect::equal("project", token.project_id(), owner.project_id())?;
        has_role(&token, "member")?;
        cloud
            .image()
            .images()
            .list()
            .limit(1)
            .first_page()
            .await
            .with_context(|| format!("listing images with the credential {what}"))?;
    }

    f.demo
        .session()
        .send(Request::delete(
            ServiceType::Identity,
            format!("/users/{user_id}/application_credentials/{id}"),
        ))
        .await
        .context("deleting the application credential")?;
    // Keystone 30 answers 404 "Could not find Application Credential" here, not 401.
    let result = Cloud::new(with(true))?.identity().tokens().issue().await;
    expect::error(
        "authenticating with a deleted application credential",
        result,
        ErrorKind::NotFound,
        Some(404),
    )?;
    Ok(())
}

/// A domain-scoped token, the domain by id and by name.
async fn domain_scope(f: &Fixture) -> Result<()> {
    let token = issue(f.target.domain_admin.clone(), "domain scope by id").await?;
    let domain = token.domain.clone().context("the token has no domain")?;
    expect::equal("domain id", domain.id.as_deref(), Some("default"))?;
    ensure!(token.project.is_none() && token.system.is_none());
    expect::equal("user", token.user.name.as_deref(), Some(DOMAIN_ADMIN.user))?;
    has_role(&token, "admin")?;

    let mut config = f.target.domain_admin.clone();
    config.auth.domain_id = None;
    config.auth.domain_name = Some("Default".into());
    let token = issue(config, "domain scope by name").await?;
    let domain = token.domain.context("the token has no domain")?;
    expect::equal("domain name", domain.name.as_deref(), Some("Default"))?;

    // A member of no domain cannot have a domain-scoped token.
    let mut config = f.target.demo.clone();
    config.auth.project_name = None;
    config.auth.project_domain_id = None;
    config.auth.domain_id = Some("default".into());
    let result = Cloud::new(config)?.identity().tokens().issue().await;
    expect::error(
        "a domain scope without a role on it",
        result,
        ErrorKind::Unauthorized,
        Some(401),
    )?;
    Ok(())
}

/// A system-scoped token (`system_scope: all`).
async fn system_scope(f: &Fixture) -> Result<()> {
    let mut config = f.target.admin.clone();
    config.auth.project_name = None;
    config.auth.project_domain_id = None;
    config.auth.system_scope = Some("all".into());
    let token = issue(config, "system scope").await?;
    expect::equal("system", token.system.clone(), Some(json!({"all": true})))?;
    ensure!(token.project.is_none() && token.domain.is_none());
    has_role(&token, "admin")?;
    Ok(())
}

/// No scope: a token that proves who the user is, without a catalog, so the session
/// cannot find Glance.
async fn unscoped(f: &Fixture) -> Result<()> {
    let mut config = f.target.demo.clone();
    config.auth.project_name = None;
    config.auth.project_domain_id = None;
    let cloud = Cloud::new(config)?;
    let token = cloud.identity().tokens().issue().await?;
    ensure!(
        token.project.is_none() && token.domain.is_none() && token.system.is_none(),
        "the unscoped token has a scope: {:?} {:?} {:?}",
        token.project,
        token.domain,
        token.system
    );
    ensure!(token.catalog.is_empty(), "the unscoped token has a catalog");
    ensure!(token.roles.is_empty(), "the unscoped token has roles");
    expect::equal("user", token.user.name.as_deref(), Some(DEMO.user))?;
    let result = cloud.image().images().list().first_page().await;
    expect::error(
        "an image call with an unscoped token",
        result,
        ErrorKind::EndpointNotFound,
        None,
    )?;
    Ok(())
}

/// Validate, check and revoke: the admin on the member's token, the member on its own.
async fn validate_check_revoke(f: &Fixture) -> Result<()> {
    let token = f.demo.identity().tokens().issue().await?;
    let admin = f.admin.identity();
    let seen = admin
        .tokens()
        .validate(&token.id)
        .await
        .context("admin validates")?;
    expect::equal("validated user", &seen.user.id, &token.user.id)?;
    expect::equal("validated project", project_name(&seen), DEMO.project)?;
    expect::equal("validated expiry", seen.expires_at, token.expires_at)?;
    expect::equal("validated audit ids", &seen.audit_ids, &token.audit_ids)?;
    let own = f
        .demo
        .identity()
        .tokens()
        .validate(&token.id)
        .await
        .context("the member validates its own token")?;
    expect::equal("self-validated user", &own.user.id, &token.user.id)?;
    ensure!(
        admin.tokens().check(&token.id).await?,
        "HEAD says the token is invalid"
    );

    admin.tokens().revoke(&token.id).await.context("revoking")?;
    ensure!(
        !admin.tokens().check(&token.id).await?,
        "HEAD still says the revoked token is valid"
    );
    let result = admin.tokens().validate(&token.id).await;
    expect::error(
        "validating a revoked token",
        result,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let result = admin.tokens().revoke(&token.id).await;
    expect::error(
        "revoking a revoked token",
        result,
        ErrorKind::NotFound,
        Some(404),
    )?;
    ensure!(
        !admin.tokens().check(&Secret::new("not-a-token")).await?,
        "HEAD says a made-up token is valid"
    );
    // The admin's own session keeps working: revoking another token touched only that one.
    admin
        .tokens()
        .issue()
        .await
        .context("the admin after the revocation")?;
    Ok(())
}

/// The catalog: identity and image, public endpoints in RegionOne, and the endpoints the
/// session uses come from it.
async fn catalog(f: &Fixture) -> Result<()> {
    let identity = f.admin.identity();
    let catalog = identity.tokens().catalog().await?;
    let token = identity.tokens().current().await?;
    let mut types: Vec<&str> = catalog.iter().map(|e| e.service_type.as_str()).collect();
    types.sort_unstable();
    expect::equal("catalog types", types, catalog_types(&token))?;
    for service in ["identity", "image"] {
        let entry = catalog
            .iter()
            .find(|e| e.service_type == service)
            .with_context(|| format!("no {service} in the catalog"))?;
        let public = entry
            .endpoints
            .iter()
            .find(|e| e.interface == "public" && e.in_region("RegionOne"))
            .with_context(|| format!("{service}: no public endpoint in RegionOne"))?;
        let used = f
            .admin
            .session()
            .endpoint(&ServiceType::from_catalog_type(service))
            .await?;
        ensure!(
            used.as_str().starts_with(public.url.trim_end_matches('/')),
            "{service}: the session uses {used}, not under the catalog's {}",
            public.url
        );
    }
    // The member sees the same services.
    let demo = f.demo.identity().tokens().catalog().await?;
    let mut demo_types: Vec<&str> = demo.iter().map(|e| e.service_type.as_str()).collect();
    demo_types.sort_unstable();
    expect::equal("member's catalog types", demo_types, catalog_types(&token))?;
    Ok(())
}

/// `GET /users/{id}` and `GET /projects/{id}` of the session's own token.
async fn current_user_and_project(f: &Fixture) -> Result<()> {
    for (cloud, account) in [(&f.admin, ADMIN), (&f.demo, DEMO)] {
        let identity = cloud.identity();
        let user = identity.users().current().await?;
        expect::equal("user name", user.name.as_str(), account.user)?;
        expect::equal("user domain", user.domain_id.as_deref(), Some("default"))?;
        ensure!(user.enabled, "user {} is disabled", user.name);
        let project = identity.projects().current().await?;
        expect::equal("project name", Some(project.name.as_str()), account.project)?;
        expect::equal(
            "project domain",
            project.domain_id.as_deref(),
            Some("default"),
        )?;
        ensure!(!project.is_domain, "project {} is a domain", project.name);
    }
    Ok(())
}
