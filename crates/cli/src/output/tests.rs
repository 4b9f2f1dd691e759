//! The expected texts are what cliff 4.17 (python-openstackclient 10.5) printed for the same
//! rows (recorded with its formatters directly).

use serde_json::json;

use super::*;

const COLUMNS: &[&str] = &[
    "ID",
    "Name",
    "Size",
    "Tags",
    "Properties",
    "Protected",
    "Min Disk",
];

fn rows() -> Vec<Vec<Cell>> {
    vec![
        vec![
            Cell::str("a1b2"),
            Cell::str("cirros"),
            Cell::json(12345),
            Cell::List(vec!["x".into(), "y".into()]),
            Cell::Dict(vec![
                ("os_distro".into(), json!("cirros")),
                ("kernel_id".into(), json!("k")),
            ]),
            Cell::json(false),
            Cell::json(0),
        ],
        vec![
            Cell::str("c3d4"),
            Cell::str("multi\nline"),
            Cell::json(Value::Null),
            Cell::List(vec![]),
            Cell::Dict(vec![]),
            Cell::json(true),
            Cell::json(10),
        ],
    ]
}

fn list(format: Format, opts: &Options) -> String {
    render_list(format, COLUMNS, &rows(), opts).unwrap()
}

fn one(format: Format, opts: &Options) -> String {
    let fields: Vec<(&str, Cell)> = COLUMNS.iter().copied().zip(rows().remove(0)).collect();
    render_one(format, &fields, opts).unwrap()
}

#[test]
fn list_table() {
    assert_eq!(
        list(Format::Table, &Options::default()),
        "\
+------+--------+-------+------+-----------------------------------+-----------+----------+
| ID   | Name   |  Size | Tags | Properties                        | Protected | Min Disk |
+------+--------+-------+------+-----------------------------------+-----------+----------+
| a1b2 | cirros | 12345 | x, y | kernel_id='k', os_distro='cirros' | False     |        0 |
| c3d4 | multi  |  None |      |                                   | True      |       10 |
|      | line   |       |      |                                   |           |          |
+------+--------+-------+------+-----------------------------------+-----------+----------+
"
    );
}

#[test]
fn list_value() {
    assert_eq!(
        list(Format::Value, &Options::default()),
        "a1b2 cirros 12345 ['x', 'y'] {'os_distro': 'cirros', 'kernel_id': 'k'} False 0\n\
         c3d4 multi\nline None [] {} True 10\n"
    );
}

#[test]
fn list_json() {
    let text = list(Format::Json, &Options::default());
    assert!(text.starts_with("[\n  {\n    \"ID\": \"a1b2\",\n    \"Name\": \"cirros\",\n    \"Size\": 12345,\n    \"Tags\": [\n      \"x\",\n      \"y\"\n    ],\n    \"Properties\": {\n"), "{text}");
    assert!(text.contains("    \"Size\": null,\n    \"Tags\": [],\n    \"Properties\": {},\n    \"Protected\": true,\n    \"Min Disk\": 10\n  }\n]\n"), "{text}");
    let compact = list(
        Format::Json,
        &Options {
            noindent: true,
            ..Default::default()
        },
    );
    assert!(
        compact.starts_with(
            "[{\"ID\": \"a1b2\", \"Name\": \"cirros\", \"Size\": 12345, \"Tags\": [\"x\", \"y\"]"
        ),
        "{compact}"
    );
}

#[test]
fn list_yaml_sorts_keys() {
    let text = list(Format::Yaml, &Options::default());
    assert!(text.starts_with("- ID: a1b2\n  Min Disk: 0\n  Name: cirros\n  Properties:\n    kernel_id: k\n    os_distro: cirros\n  Protected: false\n  Size: 12345\n  Tags:\n  - x\n  - y\n"), "{text}");
}

#[test]
fn list_csv() {
    assert_eq!(
        list(Format::Csv, &Options::default()),
        "\"ID\",\"Name\",\"Size\",\"Tags\",\"Properties\",\"Protected\",\"Min Disk\"\n\
         \"a1b2\",\"cirros\",12345,\"['x', 'y']\",\"{'os_distro': 'cirros', 'kernel_id': 'k'}\",False,0\n\
         \"c3d4\",\"multi\nline\",\"\",\"[]\",\"{}\",True,10\n"
    );
}

#[test]
fn one_table() {
    assert_eq!(
        one(Format::Table, &Options::default()),
        "\
+------------+-----------------------------------+
| Field      | Value                             |
+------------+-----------------------------------+
| ID         | a1b2                              |
| Name       | cirros                            |
| Size       | 12345                             |
| Tags       | x, y                              |
| Properties | kernel_id='k', os_distro='cirros' |
| Protected  | False                             |
| Min Disk   | 0                                 |
+------------+-----------------------------------+
"
    );
}

#[test]
fn one_value_yaml_and_shell() {
    assert_eq!(
        one(Format::Value, &Options::default()),
        "a1b2\ncirros\n12345\n['x', 'y']\n{'os_distro': 'cirros', 'kernel_id': 'k'}\nFalse\n0\n"
    );
    assert_eq!(
        one(Format::Yaml, &Options::default()),
        "ID: a1b2\nName: cirros\nSize: 12345\nTags:\n- x\n- y\nProperties:\n  kernel_id: k\n  os_distro: cirros\nProtected: false\nMin Disk: 0\n"
    );
    assert_eq!(
        one(Format::Shell, &Options::default()),
        "id=\"a1b2\"\nname=\"cirros\"\nsize=\"12345\"\ntags=\"['x', 'y']\"\n\
         properties=\"{'os_distro': 'cirros', 'kernel_id': 'k'}\"\nprotected=\"False\"\nmin_disk=\"0\"\n"
    );
}

#[test]
fn empty_list() {
    assert_eq!(
        render_list(Format::Table, COLUMNS, &[], &Options::default()).unwrap(),
        "\n"
    );
    let opts = Options {
        print_empty: true,
        ..Default::default()
    };
    assert_eq!(
        render_list(Format::Table, COLUMNS, &[], &opts).unwrap(),
        "\
+----+------+------+------+------------+-----------+----------+
| ID | Name | Size | Tags | Properties | Protected | Min Disk |
+----+------+------+------+------------+-----------+----------+
+----+------+------+------+------------+-----------+----------+
"
    );
}

#[test]
fn max_width_wraps_like_textwrap() {
    let opts = Options {
        max_width: 40,
        ..Default::default()
    };
    assert_eq!(
        list(Format::Table, &opts),
        "\
+------+--------+-------+------+------------+-----------+----------+
| ID   | Name   |  Size | Tags | Properties | Protected | Min Disk |
+------+--------+-------+------+------------+-----------+----------+
| a1b2 | cirros | 12345 | x, y | kernel_id= | False     |        0 |
|      |        |       |      | 'k', os_di |           |          |
|      |        |       |      | stro='cirr |           |          |
|      |        |       |      | os'        |           |          |
| c3d4 | multi  |  None |      |            | True      |       10 |
|      | line   |       |      |            |           |          |
+------+--------+-------+------+------------+-----------+----------+
"
    );
}

#[test]
fn columns_are_selected_in_the_commands_order_as_cliff_does() {
    // `-c Name -c ID` prints ID first, as openstackclient does; unknown names are ignored
    // unless none is known.
    let opts = Options {
        columns: vec!["Name".into(), "Nmae".into(), "ID".into()],
        ..Default::default()
    };
    assert_eq!(
        list(Format::Value, &opts),
        "a1b2 cirros\nc3d4 multi\nline\n"
    );
    let bad = Options {
        columns: vec!["Nmae".into(), "Nmae2".into()],
        ..Default::default()
    };
    let err = render_list(Format::Value, COLUMNS, &rows(), &bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "No recognized column names in ['Nmae', 'Nmae2']. Recognized columns are ({}).",
            COLUMNS
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "cliff's words"
    );
}

#[test]
fn python_reprs() {
    assert_eq!(python_repr(&json!("it's")), "\"it's\"");
    assert_eq!(python_repr(&json!("a\nb")), "'a\\nb'");
    assert_eq!(python_repr(&json!([1, null, true])), "[1, None, True]");
}
