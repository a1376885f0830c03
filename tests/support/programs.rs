//! Programs the tests generate.

/// A portable program of a network, a subnet and a server declaration for
/// each letter of `declarations`, each repeated `copies` times.
pub fn servers(declarations: std::ops::RangeInclusive<char>, copies: u32) -> String {
    let mut program = String::from(
        "param image: string\n\nresource net: network.Network {\n  cidr = \"10.0.0.0/8\"\n}\n\n\
         resource subnet: network.Subnet {\n  network = net\n  cidr = \"10.0.0.0/24\"\n}\n",
    );
    for k in declarations {
        program.push_str(&format!(
            "\nresource server_{k}: compute.Server for i in 0..{copies} {{\n  image = image\n  subnet = subnet\n}}\n"
        ));
    }
    program
}
