//! Newtype ids, so that a port id cannot be passed where a network id is expected.

use crate::ids::string_id;

string_id!(
    /// A network's id (a UUID).
    NetworkId
);
string_id!(
    /// A subnet's id (a UUID).
    SubnetId
);
string_id!(
    /// A port's id (a UUID).
    PortId
);
string_id!(
    /// A router's id (a UUID).
    RouterId
);
string_id!(
    /// A security group's id (a UUID).
    SecurityGroupId
);
string_id!(
    /// A security group rule's id (a UUID).
    SecurityGroupRuleId
);
string_id!(
    /// A floating IP's id (a UUID).
    FloatingIpId
);
