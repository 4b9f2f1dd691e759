//! Newtype ids, so a flavor id cannot be passed where a server id is expected.

use crate::ids::string_id;

string_id!(
    /// A server's id (a UUID).
    ServerId
);
string_id!(
    /// A flavor's id (often a small integer written as a string, or a UUID).
    FlavorId
);
string_id!(
    /// A keypair's name, which is its id within a user.
    KeypairName
);
