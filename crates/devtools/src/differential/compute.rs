//! The Nova cases (`cargo xtask conformance --with-nova`).

use serde_json::{Value, json};

use super::{Case, Svc, Who, case, raw_bytes};

/// An ssh public key for keypair imports (a throwaway, made for these cases).
const PUBLIC_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMXg8AUacIUV+IZzn61mr2NWYAjwHYarH8f3XTA3l7M5 diff@ferrostack";

/// The compute cases (`cargo xtask conformance --with-nova`): discovery and microversions,
/// flavors, keypairs, a server's whole life (create, show, list, actions, console output,
/// remote console, metadata, delete), limits and availability zones, good and bad inputs.
/// The image they boot is made in Glance by the first cases. Both backends have the same
/// flavors (real Nova gets the mock's m1.* set made for it).
pub fn compute_cases() -> Vec<Case> {
    use Svc::{Compute as C, Image as G};
    use Who::{Admin, Bogus, Demo, Nobody};
    let raw = raw_bytes();
    let boot = |name: &str, networks: Value| {
        json!({"server": {"name": name, "imageRef": "{boot_img}", "flavorRef": "1",
            "networks": networks}})
    };
    vec![
        // the image to boot, made in Glance
        case("boot image: create", G, Admin, "POST", "/v2/images")
            .json(
                json!({"name": "diff-boot", "disk_format": "raw", "container_format": "bare",
                "visibility": "public"}),
            )
            .capture("boot_img", "/id"),
        case(
            "boot image: upload",
            G,
            Admin,
            "PUT",
            "/v2/images/{boot_img}/file",
        )
        .bytes("application/octet-stream", raw.clone()),
        case("queued image to refuse", G, Admin, "POST", "/v2/images")
            .json(json!({"name": "diff-queued", "disk_format": "raw", "container_format": "bare"}))
            .capture("queued_img", "/id"),
        // discovery and microversions
        case("compute root", C, Nobody, "GET", "/"),
        case("compute v2.1", C, Nobody, "GET", "/v2.1"),
        case("compute v2.1/", C, Nobody, "GET", "/v2.1/"),
        case("flavors without token", C, Nobody, "GET", "/v2.1/flavors"),
        case("flavors with bogus token", C, Bogus, "GET", "/v2.1/flavors"),
        case(
            "flavors (no microversion: 2.1)",
            C,
            Admin,
            "GET",
            "/v2.1/flavors",
        ),
        case("flavors at 2.55", C, Admin, "GET", "/v2.1/flavors/detail").microversion("2.55"),
        // `latest` differs by design: the mock's newest microversion is 2.96, Nova 34's 2.104
        // (2.102 drops two flavor fields). Both are asked for the mock's newest by number.
        case("flavors at 2.96", C, Admin, "GET", "/v2.1/flavors/detail").microversion("2.96"),
        case("limits at latest", C, Admin, "GET", "/v2.1/limits").microversion("latest"),
        case("microversion too new", C, Admin, "GET", "/v2.1/flavors").microversion("2.999"),
        case("microversion malformed", C, Admin, "GET", "/v2.1/flavors").microversion("two"),
        case(
            "legacy microversion header",
            C,
            Admin,
            "GET",
            "/v2.1/flavors",
        )
        .header("X-OpenStack-Nova-API-Version", "2.10"),
        // flavors
        case("flavors detail", C, Admin, "GET", "/v2.1/flavors/detail"),
        case("flavors page", C, Admin, "GET", "/v2.1/flavors?limit=2"),
        case(
            "flavors after marker",
            C,
            Admin,
            "GET",
            "/v2.1/flavors?limit=2&marker=1",
        ),
        case(
            "flavors bad marker",
            C,
            Admin,
            "GET",
            "/v2.1/flavors?marker=nope",
        ),
        case("flavor show", C, Admin, "GET", "/v2.1/flavors/1"),
        case("flavor show at 2.61", C, Admin, "GET", "/v2.1/flavors/1").microversion("2.61"),
        case("flavor unknown", C, Admin, "GET", "/v2.1/flavors/nope"),
        case("flavors as member", C, Demo, "GET", "/v2.1/flavors"),
        // keypairs
        case(
            "keypair generate (2.1)",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .json(json!({"keypair": {"name": "diff-generated"}})),
        case("keypair import", C, Admin, "POST", "/v2.1/os-keypairs")
            .microversion("2.2")
            .json(json!({"keypair": {"name": "diff-imported", "public_key": PUBLIC_KEY}})),
        case(
            "keypair generate refused (2.92)",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .microversion("2.92")
        .json(json!({"keypair": {"name": "diff-nokey"}})),
        case(
            "keypair import (2.92)",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .microversion("2.92")
        .json(json!({"keypair": {"name": "diff-92", "public_key": PUBLIC_KEY}})),
        case("keypair duplicate", C, Admin, "POST", "/v2.1/os-keypairs")
            .json(json!({"keypair": {"name": "diff-imported", "public_key": PUBLIC_KEY}})),
        case("keypair bad name", C, Admin, "POST", "/v2.1/os-keypairs")
            .json(json!({"keypair": {"name": "no/slashes", "public_key": PUBLIC_KEY}})),
        case(
            "keypair bad public key",
            C,
            Admin,
            "POST",
            "/v2.1/os-keypairs",
        )
        .json(json!({"keypair": {"name": "diff-bad", "public_key": "ssh-rsa nonsense"}})),
        case("keypair bad type", C, Admin, "POST", "/v2.1/os-keypairs")
            .microversion("2.2")
            .json(
                json!({"keypair": {"name": "diff-type", "public_key": PUBLIC_KEY, "type": "pgp"}}),
            ),
        case("keypairs list", C, Admin, "GET", "/v2.1/os-keypairs"),
        case(
            "keypairs list at 2.35",
            C,
            Admin,
            "GET",
            "/v2.1/os-keypairs?limit=1",
        )
        .microversion("2.35"),
        case(
            "keypair show",
            C,
            Admin,
            "GET",
            "/v2.1/os-keypairs/diff-imported",
        )
        .microversion("2.2"),
        case(
            "keypair of another user",
            C,
            Demo,
            "GET",
            "/v2.1/os-keypairs/diff-imported",
        ),
        case(
            "keypair delete (2.1: 202)",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-generated",
        ),
        case(
            "keypair delete (2.2: 204)",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-92",
        )
        .microversion("2.2"),
        case(
            "keypair delete again",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-92",
        ),
        // servers: refused creations
        case(
            "server: networks required (2.37)",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "1"}})),
        case("server: unknown image", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"name": "x", "imageRef": "00000000-0000-0000-0000-000000000000",
                "flavorRef": "1", "networks": "none"}}),
            ),
        case(
            "server: image not active",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(
            json!({"server": {"name": "x", "imageRef": "{queued_img}", "flavorRef": "1",
                "networks": "none"}}),
        ),
        case("server: unknown flavor", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "nope",
                "networks": "none"}}),
            ),
        case("server: no name", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"imageRef": "{boot_img}", "flavorRef": "1", "networks": "none"}}),
            ),
        case(
            "server: bad networks value",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(boot("x", json!("everywhere"))),
        case(
            "server: unknown key name",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(
            json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "1",
                "networks": "none", "key_name": "no-such-key"}}),
        ),
        case(
            "server: user_data not base64",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(
            json!({"server": {"name": "x", "imageRef": "{boot_img}", "flavorRef": "1",
                "networks": "none", "user_data": "not base64!"}}),
        ),
        case(
            "server: body not an object",
            C,
            Admin,
            "POST",
            "/v2.1/servers",
        )
        .microversion("2.37")
        .json(json!(["server"])),
        // a server's life
        case("server create", C, Admin, "POST", "/v2.1/servers")
            .microversion("2.37")
            .json(
                json!({"server": {"name": "diff-server", "imageRef": "{boot_img}", "flavorRef": "1",
                "networks": "none", "key_name": "diff-imported", "metadata": {"purpose": "diff"},
                "user_data": "IyEvYmluL3NoCmVjaG8gaGkK"}}),
            )
            .capture("srv", "/server/id"),
        case(
            "server becomes ACTIVE",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "ACTIVE"),
        case("server show (2.1)", C, Admin, "GET", "/v2.1/servers/{srv}"),
        case(
            "server show (2.47: flavor embedded)",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .microversion("2.47"),
        case("server show (2.96)", C, Admin, "GET", "/v2.1/servers/{srv}").microversion("2.96"),
        case(
            "server show by its owner (2.96)",
            C,
            Admin,
            "GET",
            "/v2.1/servers/detail",
        )
        .microversion("2.96"),
        case(
            "server of another project",
            C,
            Demo,
            "GET",
            "/v2.1/servers/{srv}",
        ),
        case(
            "server unknown",
            C,
            Admin,
            "GET",
            "/v2.1/servers/00000000-0000-0000-0000-000000000000",
        ),
        case("servers list", C, Admin, "GET", "/v2.1/servers"),
        case("servers detail", C, Admin, "GET", "/v2.1/servers/detail"),
        case(
            "servers by name",
            C,
            Admin,
            "GET",
            "/v2.1/servers/detail?name=diff-server",
        ),
        case(
            "servers by status",
            C,
            Admin,
            "GET",
            "/v2.1/servers?status=ACTIVE",
        ),
        case(
            "servers bad status",
            C,
            Admin,
            "GET",
            "/v2.1/servers?status=SLEEPY",
        ),
        case("servers page", C, Admin, "GET", "/v2.1/servers?limit=1"),
        case(
            "servers bad marker",
            C,
            Admin,
            "GET",
            "/v2.1/servers?marker=nope",
        ),
        case("servers as member", C, Demo, "GET", "/v2.1/servers"),
        case(
            "servers all_tenants as member",
            C,
            Demo,
            "GET",
            "/v2.1/servers?all_tenants=1",
        ),
        case("server rename", C, Admin, "PUT", "/v2.1/servers/{srv}")
            .json(json!({"server": {"name": "diff-server-2"}})),
        case(
            "server rename (2.75: whole server)",
            C,
            Admin,
            "PUT",
            "/v2.1/servers/{srv}",
        )
        .microversion("2.75")
        .json(json!({"server": {"name": "diff-server-3"}})),
        // metadata
        case(
            "metadata list",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}/metadata",
        ),
        case(
            "metadata add",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/metadata",
        )
        .json(json!({"metadata": {"colour": "blue"}})),
        case(
            "metadata item",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}/metadata/colour",
        ),
        case(
            "metadata item missing",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}/metadata/nope",
        ),
        case(
            "metadata item delete",
            C,
            Admin,
            "DELETE",
            "/v2.1/servers/{srv}/metadata/colour",
        ),
        // actions
        case(
            "console output",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-getConsoleOutput": {"length": 10}})),
        case(
            "console output, bad length",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-getConsoleOutput": {"length": "lots"}})),
        case(
            "start an ACTIVE server",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-start": null})),
        case("stop", C, Admin, "POST", "/v2.1/servers/{srv}/action").json(json!({"os-stop": null})),
        case(
            "server becomes SHUTOFF",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "SHUTOFF"),
        case(
            "stop a SHUTOFF server",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-stop": null})),
        case("start", C, Admin, "POST", "/v2.1/servers/{srv}/action")
            .json(json!({"os-start": null})),
        case(
            "server ACTIVE again",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "ACTIVE"),
        case(
            "reboot soft",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"reboot": {"type": "SOFT"}})),
        case(
            "server ACTIVE after reboot",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until("/server/status", "ACTIVE"),
        case(
            "reboot bad type",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"reboot": {"type": "GENTLE"}})),
        case(
            "unknown action",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-levitate": null})),
        case(
            "action by another project",
            C,
            Demo,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-stop": null})),
        // consoles
        case(
            "remote console (2.6)",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/remote-consoles",
        )
        .microversion("2.6")
        .json(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        case(
            "remote console bad protocol",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/remote-consoles",
        )
        .microversion("2.6")
        .json(json!({"remote_console": {"protocol": "telnet", "type": "novnc"}})),
        case(
            "remote console before 2.6",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/remote-consoles",
        )
        .json(json!({"remote_console": {"protocol": "vnc", "type": "novnc"}})),
        case(
            "legacy VNC console action",
            C,
            Admin,
            "POST",
            "/v2.1/servers/{srv}/action",
        )
        .json(json!({"os-getVNCConsole": {"type": "novnc"}})),
        // limits and zones
        case("limits", C, Admin, "GET", "/v2.1/limits"),
        case("limits at 2.57", C, Admin, "GET", "/v2.1/limits").microversion("2.57"),
        case(
            "availability zones",
            C,
            Admin,
            "GET",
            "/v2.1/os-availability-zone",
        ),
        // delete
        case(
            "server delete by another project",
            C,
            Demo,
            "DELETE",
            "/v2.1/servers/{srv}",
        ),
        case("server delete", C, Admin, "DELETE", "/v2.1/servers/{srv}"),
        case(
            "deleted server goes away",
            C,
            Admin,
            "GET",
            "/v2.1/servers/{srv}",
        )
        .until_status(404),
        case(
            "server delete again",
            C,
            Admin,
            "DELETE",
            "/v2.1/servers/{srv}",
        ),
        case(
            "keypair cleanup",
            C,
            Admin,
            "DELETE",
            "/v2.1/os-keypairs/diff-imported",
        ),
    ]
}
