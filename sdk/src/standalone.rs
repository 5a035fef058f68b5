//! What a plugin binary says when it is started by hand, outside a host.

use crate::plugin::Plugin;
use std::fmt::Write;

/// Exit status of a plugin started without a host: `EX_USAGE` from sysexits.h.
pub const EXIT_NO_HOST: u8 = 64;

/// The text printed when the plugin finds no host socket on fd 3.
pub(crate) fn explanation(plugin: &Plugin) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {} is a faxbot plugin (built with faxbot-sdk {}, plugin ABI {}).",
        plugin.id,
        plugin.version,
        crate::handshake::SDK_VERSION,
        faxbot_plugin_abi::ABI_VERSION,
    );
    let _ = writeln!(
        text,
        "It runs inside a faxbot host, which starts it in a jail and talks to it over fd 3;"
    );
    let _ = writeln!(text, "started by hand it has nobody to talk to.");
    let handlers = plugin.describe();
    if !handlers.is_empty() {
        let _ = writeln!(text, "\nIt handles:");
        for line in handlers {
            let _ = writeln!(text, "  {line}");
        }
    }
    let _ = writeln!(
        text,
        "\nthis is a faxbot plugin; test it with `cargo faxbot test` (events, routes and jobs \
         from fixtures, under the real jail)."
    );
    text
}
