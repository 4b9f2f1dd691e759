//! Every Keystone operation as a plain [`Request`], before anything is sent.

use serde_json::{Map, Value, json};

use crate::auth::Auth;
use crate::error::{Error, Result};
use crate::request::{Request, ServiceType, segment};
use crate::secret::Secret;

/// `POST /auth/tokens`: a new token for `auth` (the body carries the secret).
pub fn issue(auth: &Auth) -> Request {
    auth.token_request()
}

/// `GET /auth/tokens`: the details of `token` (`X-Subject-Token`), catalog included unless
/// `nocatalog`.
pub fn validate(token: &Secret, nocatalog: bool) -> Request {
    let request = Request::get(ServiceType::Identity, "/auth/tokens")
        .header("X-Subject-Token", token.expose());
    if nocatalog {
        request.query("nocatalog", "")
    } else {
        request
    }
}

/// `HEAD /auth/tokens`: whether `token` is valid.
pub fn check(token: &Secret) -> Request {
    Request::head(ServiceType::Identity, "/auth/tokens").header("X-Subject-Token", token.expose())
}

/// `DELETE /auth/tokens`: revokes `token`.
pub fn revoke(token: &Secret) -> Request {
    Request::delete(ServiceType::Identity, "/auth/tokens").header("X-Subject-Token", token.expose())
}

/// `GET /auth/catalog`: the catalog of the caller's token.
pub fn catalog() -> Request {
    Request::get(ServiceType::Identity, "/auth/catalog")
}

/// `GET /users/{id}`.
pub fn user(id: &str) -> Request {
    Request::get(ServiceType::Identity, format!("/users/{}", segment(id)))
}

/// `GET /projects/{id}`.
pub fn project(id: &str) -> Request {
    Request::get(ServiceType::Identity, format!("/projects/{}", segment(id)))
}

fn keystone(method: http::Method, path: String) -> Request {
    Request::new(ServiceType::Identity, method, path)
}

/// `<collection>/<id>`; an empty id is refused (it would name the whole collection).
fn item_path(path: &str, label: &str, id: &str) -> Result<String> {
    Ok(format!("{path}/{}", checked(label, id)?))
}

/// `id` as one path segment, refused when empty.
fn checked(label: &str, id: &str) -> Result<String> {
    if id.trim().is_empty() {
        return Err(Error::invalid_input(format!(
            "a {} id must not be empty",
            label.to_lowercase()
        )));
    }
    Ok(segment(id))
}

/// `GET <collection>` (`/projects`, `/users`, ...) with these filters.
pub fn list(path: &str, query: &[(String, String)]) -> Request {
    let mut request = keystone(http::Method::GET, path.to_owned());
    request.query = query.to_vec();
    request
}

/// `GET <collection>/<id>`.
pub fn show(path: &str, label: &str, id: &str) -> Result<Request> {
    Ok(keystone(http::Method::GET, item_path(path, label, id)?))
}

/// `POST <collection>` with `{"<one>": body}`.
pub fn create(path: &str, one: &str, body: &Map<String, Value>) -> Request {
    keystone(http::Method::POST, path.to_owned()).json(json!({ one: body }))
}

/// `PATCH <collection>/<id>` with `{"<one>": changes}`.
pub fn update(
    path: &str,
    one: &str,
    label: &str,
    id: &str,
    changes: &Map<String, Value>,
) -> Result<Request> {
    Ok(keystone(http::Method::PATCH, item_path(path, label, id)?).json(json!({ one: changes })))
}

/// `DELETE <collection>/<id>`.
pub fn delete(path: &str, label: &str, id: &str) -> Result<Request> {
    Ok(keystone(http::Method::DELETE, item_path(path, label, id)?))
}

/// `GET /users/{id}/projects`: the projects a user has a role on.
pub fn user_projects(user_id: &str, query: &[(String, String)]) -> Result<Request> {
    let mut request = keystone(
        http::Method::GET,
        format!("/users/{}/projects", checked("user", user_id)?),
    );
    request.query = query.to_vec();
    Ok(request)
}

/// `GET /users/{id}/groups`: the groups a user is in.
pub fn user_groups(user_id: &str) -> Result<Request> {
    Ok(keystone(
        http::Method::GET,
        format!("/users/{}/groups", checked("user", user_id)?),
    ))
}

/// `GET /groups/{id}/users`: the members of a group.
pub fn group_users(group_id: &str, query: &[(String, String)]) -> Result<Request> {
    let mut request = keystone(
        http::Method::GET,
        format!("/groups/{}/users", checked("group", group_id)?),
    );
    request.query = query.to_vec();
    Ok(request)
}

/// `PUT` (add), `HEAD` (check) or `DELETE` (remove) `/groups/{group}/users/{user}`.
pub fn group_member(method: http::Method, group_id: &str, user_id: &str) -> Result<Request> {
    let path = format!(
        "/groups/{}/users/{}",
        checked("group", group_id)?,
        checked("user", user_id)?
    );
    // Adding or removing a member twice leaves the group as once.
    Ok(keystone(method, path).idempotent(true))
}

/// Who a role is granted to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Actor {
    /// A user, by id.
    User(String),
    /// A group, by id: every member has the role.
    Group(String),
}

/// Where a role is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A project, by id.
    Project(String),
    /// A domain, by id.
    Domain(String),
    /// The whole deployment (`system: all`).
    System,
}

/// One role assignment to make, check or undo: `role` for `actor` on `target`; an
/// inherited one (`OS-INHERIT`) applies to the projects under the target instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// The role's id.
    pub role_id: String,
    /// Who has it.
    pub actor: Actor,
    /// Where.
    pub target: Target,
    /// Whether it is inherited by the projects under the target (not for the system).
    pub inherited: bool,
}

impl Grant {
    /// `role_id` for `actor` on `target`, not inherited.
    pub fn new(role_id: impl Into<String>, actor: Actor, target: Target) -> Self {
        Self {
            role_id: role_id.into(),
            actor,
            target,
            inherited: false,
        }
    }

    /// Inherited by the projects under the target.
    pub fn inherited(mut self, inherited: bool) -> Self {
        self.inherited = inherited;
        self
    }

    /// `/projects/{p}/users/{u}/roles/{r}`, `/system/groups/{g}/roles/{r}`, or under
    /// `/OS-INHERIT/.../inherited_to_projects` when inherited.
    fn path(&self) -> Result<String> {
        let actor = match &self.actor {
            Actor::User(id) => format!("users/{}", checked("user", id)?),
            Actor::Group(id) => format!("groups/{}", checked("group", id)?),
        };
        let role = checked("role", &self.role_id)?;
        let target = match &self.target {
            Target::Project(id) => format!("projects/{}", checked("project", id)?),
            Target::Domain(id) => format!("domains/{}", checked("domain", id)?),
            Target::System if self.inherited => {
                return Err(Error::invalid_input(
                    "a system role assignment cannot be inherited",
                ));
            }
            Target::System => "system".to_owned(),
        };
        Ok(if self.inherited {
            format!("/OS-INHERIT/{target}/{actor}/roles/{role}/inherited_to_projects")
        } else {
            format!("/{target}/{actor}/roles/{role}")
        })
    }
}

/// `PUT` the grant: assigns the role (204; again is harmless).
pub fn grant(grant: &Grant) -> Result<Request> {
    Ok(keystone(http::Method::PUT, grant.path()?).idempotent(true))
}

/// `HEAD` the grant: 204 when assigned, 404 when not.
pub fn check_grant(grant: &Grant) -> Result<Request> {
    Ok(keystone(http::Method::HEAD, grant.path()?))
}

/// `DELETE` the grant: unassigns the role.
pub fn revoke_grant(grant: &Grant) -> Result<Request> {
    Ok(keystone(http::Method::DELETE, grant.path()?))
}

/// `GET /role_assignments` with these filters (`user.id`, `scope.project.id`, `effective`,
/// ...).
pub fn role_assignments(query: &[(String, String)]) -> Request {
    list("/role_assignments", query)
}

/// `/roles/{prior}/implies/{implied}` with `method`: `PUT` makes the inference, `GET` or
/// `HEAD` check it, `DELETE` removes it.
pub fn implied_role(method: http::Method, prior_id: &str, implied_id: &str) -> Result<Request> {
    let path = format!(
        "/roles/{}/implies/{}",
        checked("role", prior_id)?,
        checked("role", implied_id)?
    );
    Ok(keystone(method, path))
}

/// `GET /roles/{prior}/implies`: the roles one role implies.
pub fn implied_roles(prior_id: &str) -> Result<Request> {
    Ok(keystone(
        http::Method::GET,
        format!("/roles/{}/implies", checked("role", prior_id)?),
    ))
}

/// `GET /role_inferences`: every inference rule.
pub fn role_inferences() -> Request {
    keystone(http::Method::GET, "/role_inferences".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Credentials, DomainRef, ProjectRef, Scope, UserRef};

    fn snap(request: &Request) -> serde_json::Value {
        serde_json::to_value(request.redacted()).unwrap()
    }

    #[test]
    fn issue_request() {
        let auth = Auth {
            credentials: Credentials::Password {
                user: UserRef::Name {
                    name: "demo".into(),
                    domain: DomainRef::Name("Default".into()),
                },
                password: "hunter2".into(),
            },
            scope: Scope::Project(ProjectRef::Id("p-1".into())),
        };
        let text = snap(&issue(&auth)).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        insta::assert_json_snapshot!(snap(&issue(&auth)));
    }

    #[test]
    fn token_requests_redact_the_subject_token() {
        let token = Secret::new("gAAAA-subject");
        for request in [
            validate(&token, false),
            validate(&token, true),
            check(&token),
            revoke(&token),
        ] {
            let text = format!("{} {request:?}", snap(&request));
            assert!(!text.contains("gAAAA"), "{text}");
        }
        insta::assert_json_snapshot!("validate", snap(&validate(&token, false)));
        insta::assert_json_snapshot!("validate_nocatalog", snap(&validate(&token, true)));
        insta::assert_json_snapshot!("check", snap(&check(&token)));
        insta::assert_json_snapshot!("revoke", snap(&revoke(&token)));
    }

    #[test]
    fn catalog_user_project_requests() {
        insta::assert_json_snapshot!("catalog", snap(&catalog()));
        insta::assert_json_snapshot!("user", snap(&user("9f2e/x y")));
        insta::assert_json_snapshot!("project", snap(&project("6b1c")));
    }

    fn client() -> crate::identity::IdentityClient {
        crate::identity::IdentityClient::new(crate::testing::offline_session())
    }

    #[test]
    fn domain_requests() {
        let domains = client().domains();
        insta::assert_json_snapshot!(
            "domain_list",
            snap(&domains.list().name("acme").enabled(true).request())
        );
        insta::assert_json_snapshot!(
            "domain_create",
            snap(
                &domains
                    .create("acme")
                    .description("Acme Inc")
                    .enabled(false)
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "domain_update",
            snap(
                &domains
                    .update("d-1")
                    .name("acme2")
                    .enabled(false)
                    .request()
                    .unwrap()
            )
        );
        insta::assert_json_snapshot!(
            "domain_show",
            snap(&show("/domains", "Domain", "d-1").unwrap())
        );
        insta::assert_json_snapshot!(
            "domain_delete",
            snap(&delete("/domains", "Domain", "d-1").unwrap())
        );
    }

    #[test]
    fn project_requests() {
        let projects = client().projects();
        insta::assert_json_snapshot!(
            "project_list",
            snap(
                &projects
                    .list()
                    .domain_id("default")
                    .parent_id("p-0")
                    .enabled(true)
                    .tags("a,b")
                    .not_tags_any("c")
                    .request()
            )
        );
        let mut options = Map::new();
        options.insert("immutable".into(), true.into());
        insta::assert_json_snapshot!(
            "project_create",
            snap(
                &projects
                    .create("web")
                    .domain_id("default")
                    .parent_id("p-0")
                    .description("the web tier")
                    .enabled(true)
                    .tags(vec!["a".to_owned()])
                    .property("team", "blue")
                    .options(options)
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "project_update",
            snap(
                &projects
                    .update("p-1")
                    .name("web2")
                    .tags(Vec::<String>::new())
                    .request()
                    .unwrap()
            )
        );
        insta::assert_json_snapshot!("user_projects", snap(&user_projects("u-1", &[]).unwrap()));
    }

    #[test]
    fn user_requests_never_show_the_password() {
        let users = client().users();
        let create = users
            .create("alice")
            .domain_id("default")
            .default_project_id("p-1")
            .email("alice@example.com")
            .description("Alice")
            .enabled(true)
            .password("hunter2");
        let update = users.update("u-1").password("hunter3").enabled(false);
        for text in [
            format!("{create:?}"),
            format!("{update:?}"),
            format!("{:?}", create.request()),
            snap(&create.request()).to_string(),
            snap(&update.request().unwrap()).to_string(),
        ] {
            assert!(!text.contains("hunter"), "{text}");
        }
        // The wire carries it, though.
        let crate::request::Body::Json(body) = &create.request().body else {
            panic!("a JSON body");
        };
        assert_eq!(body["user"]["password"], "hunter2");
        insta::assert_json_snapshot!("user_create", snap(&create.request()));
        insta::assert_json_snapshot!("user_update", snap(&update.request().unwrap()));
        insta::assert_json_snapshot!(
            "user_list",
            snap(
                &users
                    .list()
                    .domain_id("default")
                    .name("alice")
                    .enabled(false)
                    .request()
            )
        );
        insta::assert_json_snapshot!("user_groups", snap(&user_groups("u-1").unwrap()));
    }

    #[test]
    fn group_requests() {
        let groups = client().groups();
        insta::assert_json_snapshot!(
            "group_create",
            snap(
                &groups
                    .create("admins")
                    .domain_id("default")
                    .description("ops")
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "group_update",
            snap(&groups.update("g-1").name("ops").request().unwrap())
        );
        insta::assert_json_snapshot!(
            "group_list",
            snap(&groups.list().domain_id("default").name("admins").request())
        );
        insta::assert_json_snapshot!("group_users", snap(&group_users("g-1", &[]).unwrap()));
        insta::assert_json_snapshot!(
            "group_add_user",
            snap(&group_member(http::Method::PUT, "g-1", "u-1").unwrap())
        );
        insta::assert_json_snapshot!(
            "group_check_user",
            snap(&group_member(http::Method::HEAD, "g-1", "u-1").unwrap())
        );
        insta::assert_json_snapshot!(
            "group_remove_user",
            snap(&group_member(http::Method::DELETE, "g-1", "u-1").unwrap())
        );
    }

    #[test]
    fn role_and_implied_role_requests() {
        let roles = client().roles();
        insta::assert_json_snapshot!(
            "role_create",
            snap(
                &roles
                    .create("auditor")
                    .domain_id("d-1")
                    .description("reads")
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "role_update",
            snap(
                &roles
                    .update("r-1")
                    .description("reads all")
                    .request()
                    .unwrap()
            )
        );
        insta::assert_json_snapshot!("role_list", snap(&roles.list().domain_id("d-1").request()));
        insta::assert_json_snapshot!(
            "implied_role_create",
            snap(&implied_role(http::Method::PUT, "r-1", "r-2").unwrap())
        );
        insta::assert_json_snapshot!(
            "implied_role_delete",
            snap(&implied_role(http::Method::DELETE, "r-1", "r-2").unwrap())
        );
        insta::assert_json_snapshot!("implied_roles", snap(&implied_roles("r-1").unwrap()));
        insta::assert_json_snapshot!("role_inferences", snap(&role_inferences()));
    }

    #[test]
    fn grants_on_every_target_for_users_and_groups() {
        let user = || Actor::User("u-1".into());
        let group = || Actor::Group("g-1".into());
        let project = || Target::Project("p-1".into());
        let domain = || Target::Domain("d-1".into());
        let cases = [
            ("grant_user_project", Grant::new("r-1", user(), project())),
            ("grant_group_project", Grant::new("r-1", group(), project())),
            ("grant_user_domain", Grant::new("r-1", user(), domain())),
            ("grant_group_domain", Grant::new("r-1", group(), domain())),
            (
                "grant_user_system",
                Grant::new("r-1", user(), Target::System),
            ),
            (
                "grant_group_system",
                Grant::new("r-1", group(), Target::System),
            ),
            (
                "grant_user_project_inherited",
                Grant::new("r-1", user(), project()).inherited(true),
            ),
            (
                "grant_group_domain_inherited",
                Grant::new("r-1", group(), domain()).inherited(true),
            ),
        ];
        for (name, g) in &cases {
            insta::assert_json_snapshot!(*name, snap(&grant(g).unwrap()));
        }
        let g = &cases[0].1;
        insta::assert_json_snapshot!("grant_check", snap(&check_grant(g).unwrap()));
        insta::assert_json_snapshot!("grant_revoke", snap(&revoke_grant(g).unwrap()));
    }

    #[test]
    fn a_system_grant_cannot_be_inherited_and_ids_must_not_be_empty() {
        let err =
            grant(&Grant::new("r-1", Actor::User("u".into()), Target::System).inherited(true))
                .unwrap_err();
        assert!(
            err.message()
                .contains("system role assignment cannot be inherited"),
            "{err}"
        );
        let err = grant(&Grant::new("r-1", Actor::User(" ".into()), Target::System)).unwrap_err();
        assert!(
            err.message().contains("a user id must not be empty"),
            "{err}"
        );
        let err = show("/projects", "Project", "").unwrap_err();
        assert!(
            err.message().contains("a project id must not be empty"),
            "{err}"
        );
        let err = client().roles().update("").request().unwrap_err();
        assert!(
            err.message().contains("a role id must not be empty"),
            "{err}"
        );
    }

    #[test]
    fn role_assignment_filters() {
        insta::assert_json_snapshot!(
            "role_assignments_all_filters",
            snap(
                &client()
                    .role_assignments()
                    .user_id("u-1")
                    .group_id("g-1")
                    .role_id("r-1")
                    .project_id("p-1")
                    .domain_id("d-1")
                    .system()
                    .inherited()
                    .effective()
                    .include_names()
                    .include_subtree()
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "role_assignments_plain",
            snap(&client().role_assignments().request())
        );
    }

    #[test]
    fn catalog_requests() {
        let c = client();
        insta::assert_json_snapshot!(
            "region_create",
            snap(
                &c.regions()
                    .create("RegionTwo")
                    .parent_region_id("RegionOne")
                    .description("two")
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "region_update",
            snap(
                &c.regions()
                    .update("RegionTwo")
                    .description("2")
                    .request()
                    .unwrap()
            )
        );
        insta::assert_json_snapshot!(
            "region_list",
            snap(&c.regions().list().parent_region_id("RegionOne").request())
        );
        insta::assert_json_snapshot!(
            "service_create",
            snap(
                &c.services()
                    .create("compute")
                    .name("nova")
                    .description("VMs")
                    .enabled(true)
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "service_update",
            snap(
                &c.services()
                    .update("s-1")
                    .service_type("compute")
                    .enabled(false)
                    .request()
                    .unwrap()
            )
        );
        insta::assert_json_snapshot!(
            "service_list",
            snap(&c.services().list().service_type("compute").request())
        );
        insta::assert_json_snapshot!(
            "endpoint_create",
            snap(
                &c.endpoints()
                    .create("s-1", "public", "http://nova/v2.1")
                    .region_id("RegionOne")
                    .enabled(true)
                    .request()
            )
        );
        insta::assert_json_snapshot!(
            "endpoint_update",
            snap(
                &c.endpoints()
                    .update("e-1")
                    .url("http://nova2/v2.1")
                    .interface("internal")
                    .request()
                    .unwrap()
            )
        );
        insta::assert_json_snapshot!(
            "endpoint_list",
            snap(
                &c.endpoints()
                    .list()
                    .service_id("s-1")
                    .interface("public")
                    .region_id("RegionOne")
                    .request()
            )
        );
    }
}
