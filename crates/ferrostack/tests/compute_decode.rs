//! The compute models over real Nova responses (nova's api-ref samples, in
//! testdata/responses/nova): every shape from 2.1 to 2.75 decodes, nothing is lost.

use ferrostack::compute::{
    AddressKind, Flavor, Keypair, KeypairType, PowerState, Server, ServerFlavor, ServerStatus,
};
use serde::de::DeserializeOwned;

fn fixture(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../../testdata/responses/nova/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode<T: DeserializeOwned>(value: &serde_json::Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value:#}"))
}

fn server(name: &str) -> Server {
    decode(&fixture(name)["server"])
}

#[test]
fn server_at_2_1_links_its_flavor() {
    let s = server("server-show-2.1.json");
    assert_eq!(s.id.as_str(), "f5dc173b-6804-445a-a6d8-c705dad5b5eb");
    assert_eq!(s.name, "new-server-test");
    assert_eq!(s.status, ServerStatus::Active);
    assert_eq!(s.vm_state.as_deref(), Some("active"));
    assert_eq!(s.task_state, None);
    assert_eq!(s.power_state, Some(PowerState::Running));
    let flavor = s.flavor.as_ref().unwrap();
    assert_eq!(flavor.id().map(|f| f.as_str()), Some("1"));
    assert_eq!(flavor.original_name(), None);
    let image = s.image.as_ref().unwrap();
    assert_eq!(image.id.as_str(), "70a599e0-31e7-49b7-b260-868f441e862b");
    assert_eq!(image.links[0].rel, "bookmark");
    assert_eq!(s.created.unwrap().to_string(), "2013-09-03T04:01:32Z");
    assert_eq!(
        s.tenant_id.as_deref(),
        Some("6f70656e737461636b20342065766572")
    );
    assert_eq!(s.user_id.as_deref(), Some("admin"));
    assert_eq!(s.key_name, None);
    assert_eq!(s.metadata["My Server Name"], "Apache1");
    assert_eq!(s.links.len(), 2);
    assert!(s.fault.is_none());
    // Extension fields stay, as sent.
    assert_eq!(s.extra["OS-EXT-AZ:availability_zone"], "us-west");
    assert_eq!(
        s.extra["hostId"],
        "bcf92836fc9ed4203a75cb0337afc7f917d2be504164b995c2334b25"
    );
    assert!(
        !s.extra.contains_key("OS-EXT-STS:vm_state"),
        "typed fields are not repeated"
    );
}

#[test]
fn addresses_are_parsed() {
    let s = server("server-show-2.1.json");
    let (net, addr) = s.all_addresses().next().unwrap();
    assert_eq!(net, "private");
    assert_eq!(
        addr.addr,
        "192.168.1.30".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(addr.version, 4);
    assert_eq!(addr.mac_addr.as_deref(), Some("00:0c:29:0d:11:74"));
    assert_eq!(addr.kind, Some(AddressKind::Fixed));
    assert_eq!(s.first_ipv4(), Some("192.168.1.30".parse().unwrap()));
}

#[test]
fn fixed_and_floating_addresses_share_their_network_and_mac() {
    let mut body = fixture("server-show-2.1.json");
    body["server"]["addresses"] = serde_json::json!({"private": [
        {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed",
         "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:12:34:56"},
        {"addr": "127.42.0.7", "version": 4, "OS-EXT-IPS:type": "floating",
         "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:12:34:56"},
        {"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed_v2",
         "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:12:34:56"}]});
    let s: Server = decode(&body["server"]);
    let floating: Vec<_> = s.floating_addresses().collect();
    assert_eq!(floating.len(), 1);
    assert_eq!(floating[0].0, "private");
    assert_eq!(
        floating[0].1.addr,
        "127.42.0.7".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(floating[0].1.mac_addr.as_deref(), Some("fa:16:3e:12:34:56"));
    assert_eq!(s.first_ipv4(), Some("10.0.0.5".parse().unwrap()));
    let odd = &s.addresses["private"][2];
    assert_eq!(odd.kind, Some(AddressKind::Unknown("fixed_v2".into())));
}

#[test]
fn server_from_2_47_embeds_its_flavor() {
    let s = server("server-show-2.47.json");
    match s.flavor.as_ref().unwrap() {
        ServerFlavor::Embedded(f) => {
            assert_eq!(f.original_name, "m1.tiny.specs");
            assert_eq!(
                (f.vcpus, f.ram, f.disk, f.swap, f.ephemeral),
                (1, 512, 1, 0, 0)
            );
            assert_eq!(f.extra_specs["hw:numa_nodes"], "1");
        }
        other => panic!("expected an embedded flavor, got {other:?}"),
    }
    assert_eq!(s.flavor.as_ref().unwrap().id(), None);
    assert_eq!(s.extra["locked"], false);
    assert_eq!(s.extra["tags"], serde_json::json!([]));
    assert_eq!(s.updated.unwrap().to_string(), "2017-02-14T19:24:00Z");
}

#[test]
fn a_volume_backed_server_has_no_image() {
    let s = server("server-show-volume-backed.json");
    assert!(s.image.is_none());
}

#[test]
fn an_errored_server_carries_its_fault() {
    let s = server("server-show-error.json");
    assert_eq!(s.status, ServerStatus::Error);
    assert_eq!(s.power_state, Some(PowerState::NoState));
    assert!(s.addresses.is_empty());
    let fault = s.fault.unwrap();
    assert_eq!(fault.code, Some(500));
    assert_eq!(
        fault.message,
        "No valid host was found. There are not enough hosts available."
    );
    assert_eq!(fault.created.unwrap().to_string(), "2017-02-14T19:24:00Z");
}

#[test]
fn server_lists_at_2_1_and_2_47() {
    for name in ["servers-detail-2.1.json", "servers-detail-2.47.json"] {
        let page = fixture(name);
        let servers: Vec<Server> = decode(&page["servers"]);
        assert_eq!(servers.len(), 1, "{name}");
        assert_eq!(servers[0].status, ServerStatus::Active, "{name}");
        assert_eq!(page["servers_links"][0]["rel"], "next", "{name}");
    }
}

#[test]
fn a_server_round_trips_through_serde() {
    let s = server("server-show-2.47.json");
    let again: Server = decode(&serde_json::to_value(&s).unwrap());
    assert_eq!(again, s);
}

#[test]
fn unknown_statuses_and_power_states_do_not_break_decoding() {
    let mut value = fixture("server-show-2.1.json")["server"].clone();
    value["status"] = "SOMETHING_NEW".into();
    value["OS-EXT-STS:power_state"] = 9.into();
    let s: Server = decode(&value);
    assert_eq!(s.status, ServerStatus::Unknown("SOMETHING_NEW".into()));
    assert_eq!(s.power_state, Some(PowerState::Unknown("9".into())));
}

#[test]
fn a_bad_field_is_named_by_its_path() {
    let mut value = fixture("server-show-2.1.json");
    value["server"]["addresses"]["private"][0]["addr"] = "not-an-ip".into();
    let text = value.to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Envelope {
        server: Server,
    }
    let err = serde_path_to_error::deserialize::<_, Envelope>(de).unwrap_err();
    assert_eq!(err.path().to_string(), "server.addresses.private[0].addr");
}

#[test]
fn flavors_in_both_eras() {
    let flavors: Vec<Flavor> = decode(&fixture("flavors-detail-2.75.json")["flavors"]);
    assert_eq!(flavors.len(), 7);
    let tiny = &flavors[0];
    assert_eq!((tiny.id.as_str(), tiny.name.as_str()), ("1", "m1.tiny"));
    assert_eq!((tiny.vcpus, tiny.ram, tiny.disk, tiny.swap), (1, 512, 1, 0));
    assert!(tiny.is_public && !tiny.disabled);
    assert_eq!(tiny.rxtx_factor, Some(1.0));
    let described = &flavors[6];
    assert_eq!(described.description.as_deref(), Some("test description"));
    assert_eq!(described.extra_specs["hw:cpu_policy"], "shared");

    let old: Flavor = decode(&fixture("flavor-show-2.1.json")["flavor"]);
    assert_eq!(old.swap, 0, "\"swap\": \"\" means none");
    assert!(old.extra_specs.is_empty());
    assert_eq!(old.links[0].rel, "self");
}

#[test]
fn keypairs_listed_shown_and_generated() {
    let list = fixture("keypairs-list-2.35.json");
    let wrapped: Vec<serde_json::Value> = decode(&list["keypairs"]);
    let listed: Keypair = decode(&wrapped[0]["keypair"]);
    assert_eq!(listed.kind, Some(KeypairType::Ssh));
    assert!(listed.public_key.starts_with("ssh-rsa "));
    assert!(listed.private_key.is_none());

    let shown: Keypair = decode(&fixture("keypair-show.json")["keypair"]);
    assert_eq!(shown.kind, None, "no type before 2.2");
    assert_eq!(
        shown.created_at.unwrap().to_string(),
        "2014-05-07T12:06:13.681238Z"
    );
    assert_eq!(shown.extra["id"], 1);

    let generated: Keypair = decode(&fixture("keypair-generate-2.2.json")["keypair"]);
    let key = generated.private_key.as_ref().unwrap();
    assert!(key.expose().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    // The private key never shows in Debug output or when serialized.
    let debug = format!("{generated:?}");
    let json = serde_json::to_string(&generated).unwrap();
    for text in [&debug, &json] {
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}
