#!/usr/bin/env python3
"""Generate stdlib/native/terraform-aws/*.infra and
stdlib/native/terraform-openstack/*.infra from the provider schemas in
../shared/schemas/terraform/ (`terraform providers schema -json` form), and
stdlib/native/terraform/random_password.infra and random_id.infra from
RANDOM_PASSWORD and RANDOM_ID below.

Usage (run by hand, not by CI):

    python3 tools/gen-schemas/gen_terraform.py [--schemas DIR]

Python 3 standard library only.

Mapping (Terraform schema -> Infra):
  string/number/bool/dynamic -> string/number/bool/any
  list(T)/set(T) -> [T]; map(T) -> {string: T}; object({...}) -> named type
  (every member required, as Terraform's object type wants); tuple -> any.
  Attributes with nested_type and nested blocks: named type <Short><Path>,
  nesting list/set -> [T], single/group -> T, map -> {string: T}.
  property: every attribute that is required or optional, and every block;
  `id` is never a property.  A block is required when min_items >= 1.
  Inside nested types, computed-only members are left out (not settable).
  attribute: `id`, then every top-level attribute that is computed
  (computed-only or optional+computed).
  Meta-arguments (count, for_each, provider, depends_on, lifecycle) are not
  in the schema and not emitted.
  KEYED_ATTRIBUTES: a list of key/value objects (a Heat stack's `outputs`)
  is also an attribute `{string: T}`, read by key.

Known gaps of the source files (../shared/schemas/terraform/SOURCES.md):
they carry no descriptions (so no doc comments) and no `deprecated` flags
(so deprecated attributes cannot be left out), and in the openstack file
`computed` is only kept on computed-only attributes (so optional+computed
openstack attributes are properties only). Nor do they say which arguments
force a new resource (the providers' ForceNew flags are in their Go source,
not in `terraform providers schema -json`): no Terraform schema has
`replaced_by` or `may_replace`, and `infra diff` leaves replacement to
`terraform plan` (a changed argument of a persistent resource is reported
as one that may replace it).
"""

import argparse
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import infra_emit as ie  # noqa: E402

PROVIDERS = [
    # (file, provider address, output folder, short-name prefix)
    ("aws.json.gz", "registry.terraform.io/hashicorp/aws", "terraform-aws", "aws_"),
    ("openstack.json.gz", "registry.terraform.io/terraform-provider-openstack/openstack",
     "terraform-openstack", "openstack_"),
]

RANDOM_ADDRESS = "registry.terraform.io/hashicorp/random"

STATE = {
    "aws_ebs_volume": "persistent",
    "aws_s3_bucket": "persistent",
    "aws_route53_zone": "persistent",
    "aws_db_instance": "persistent",
    "aws_secretsmanager_secret": "persistent",
    "aws_sqs_queue": "volatile",
    "openstack_blockstorage_volume_v3": "persistent",
    "openstack_objectstorage_container_v1": "persistent",
    "openstack_dns_zone_v2": "persistent",
    "openstack_db_instance_v1": "persistent",
}

# Facts the provider schemas do not state, written as settings (see
# infra_emit.fact_settings): which properties hold IPv4 network blocks that
# AWS and Neutron check when they are applied, and how subnets nest in VPCs
# (a VPC may hold subnets in the secondary blocks an
# aws_vpc_ipv4_cidr_block_association gives it), which attributes of the
# openstack provider's types hold IP addresses and which type is a DNS record
# with its type and values, for the check that a CNAME record does not point
# at an address (E0553).
FACTS = {
    "aws_vpc": {"cidr": ["cidr_block"], "network": "cidr_block", "secondary_blocks": True},
    "aws_vpc_ipv4_cidr_block_association": {"adds_cidr": True},
    "aws_subnet": {
        "cidr": ["cidr_block"],
        "subnet": {"network": "vpc_id", "cidr": "cidr_block"},
    },
    "aws_route": {"cidr": ["destination_cidr_block"]},
    "aws_route_table": {"cidr": ["route[].cidr_block"]},
    "aws_security_group": {"cidr": ["ingress[].cidr_blocks[]", "egress[].cidr_blocks[]"]},
    "aws_vpc_security_group_ingress_rule": {"cidr": ["cidr_ipv4"]},
    "aws_vpc_security_group_egress_rule": {"cidr": ["cidr_ipv4"]},
    "openstack_networking_subnet_v2": {"cidr": ["cidr"], "address_attributes": ["gateway_ip"]},
    "openstack_compute_instance_v2": {
        "address_attributes": ["access_ip_v4", "access_ip_v6", "network"],
    },
    "openstack_lb_loadbalancer_v2": {"address_attributes": ["vip_address"]},
    "openstack_networking_floatingip_associate_v2": {
        "address_attributes": ["floating_ip", "fixed_ip"],
    },
    "openstack_networking_floatingip_v2": {"address_attributes": ["address", "fixed_ip"]},
    "openstack_networking_port_v2": {"address_attributes": ["all_fixed_ips", "fixed_ip"]},
    "openstack_dns_recordset_v2": {"dns_record": {"type": "type", "records": "records"}},
    # Arguments that keep a final snapshot when Terraform destroys the
    # resource, which the Terraform backend writes (through the IR) from the
    # deletion policy, unless the program sets one of them itself. `flag`: a
    # boolean set to true when the policy is snapshot. `skip`: a boolean,
    # false unless the policy is delete; `identifier`: the snapshot's name,
    # `<named_after>-final` when the program sets `named_after`, else
    # `<stack>-<resource>-final`. The provider schemas do not say which
    # arguments do this.
    "aws_ebs_volume": {"final_snapshot": {"flag": "final_snapshot"}},
    "aws_db_instance": {
        "final_snapshot": {
            "skip": "skip_final_snapshot",
            "identifier": "final_snapshot_identifier",
            "named_after": "identifier",
        },
    },
}

# Types that can keep a snapshot when Terraform destroys them (`snapshot =
# true`, read by lowering for `deletion = "snapshot"`): those with final
# snapshot arguments.
SNAPSHOT = {t for t, facts in FACTS.items() if "final_snapshot" in facts}

# Attributes the providers mark sensitive (`Sensitive: true` in their
# source): Terraform refuses an output reading one unless it is `sensitive =
# true`, and a `count` depending on one. The schema files drop the flag
# (../shared/schemas/terraform/SOURCES.md), so it is stated here, a
# top-level attribute or block each (`user` of openstack_db_instance_v1 holds
# a sensitive `password`); a flag the files do carry (`"sensitive": true` on
# an attribute, or on a member of its or a block's nested type) is read from
# them too. Written as `sensitive_attributes = [...]`, sorted.
SENSITIVE = {
    "aws_db_instance": ["password"],
    "aws_launch_template": ["user_data"],
    "aws_secretsmanager_secret_version": ["secret_binary", "secret_string"],
    "openstack_compute_instance_v2": ["admin_pass"],
    "openstack_db_instance_v1": ["user"],
    "random_password": ["bcrypt_hash", "result"],
}

# Attributes the provider gives as a list of key/value objects, read as a
# map from key to value: (type, attribute) -> (key field, value field, doc).
# The attribute is declared `{string: T}` (T the value field's type) and the
# setting `keyed_attributes = { outputs = ["output_key", "output_value"] }`
# tells the Terraform backend (through the IR) to read `r.outputs["k"]` as
# `one([for o in TYPE.NAME.outputs : o.output_value if o.output_key == "k"])`.
KEYED_ATTRIBUTES = {
    ("openstack_orchestration_stack_v1", "outputs"): (
        "output_key", "output_value",
        "The stack's outputs, by key (the provider's `outputs` list, read as a map).",
    ),
}

# hashicorp/random is not in the schema files: random_password is written
# here by hand from the provider's documented schema (random 3.x, resource
# schema version 3: internal/provider/resource_password.go, passwordSchemaV3).
# (name, type, required, computed, doc = first sentence of its description).
# The deprecated `number` argument (replaced by `numeric`) is left out;
# `result` and `bcrypt_hash` are sensitive.
RANDOM_PASSWORD_DOC = ("Identical to random_string with the exception that the result is "
                       "treated as sensitive and, thus, _not_ displayed in console output.")
RANDOM_PASSWORD = [
    ("length", ie.NUMBER, True, False,
     "The length of the string desired."),
    ("keepers", ("map", ie.STRING), False, False,
     "Arbitrary map of values that, when changed, will trigger recreation of resource."),
    ("lower", ie.BOOL, False, True,
     "Include lowercase alphabet characters in the result."),
    ("min_lower", ie.NUMBER, False, True,
     "Minimum number of lowercase alphabet characters in the result."),
    ("min_numeric", ie.NUMBER, False, True,
     "Minimum number of numeric characters in the result."),
    ("min_special", ie.NUMBER, False, True,
     "Minimum number of special characters in the result."),
    ("min_upper", ie.NUMBER, False, True,
     "Minimum number of uppercase alphabet characters in the result."),
    ("numeric", ie.BOOL, False, True,
     "Include numeric characters in the result."),
    ("override_special", ie.STRING, False, False,
     "Supply your own list of special characters to use for string generation."),
    ("special", ie.BOOL, False, True,
     "Include special characters in the result."),
    ("upper", ie.BOOL, False, True,
     "Include uppercase alphabet characters in the result."),
    ("bcrypt_hash", ie.STRING, False, True,
     "A bcrypt hash of the generated random string (sensitive)."),
    ("result", ie.STRING, False, True,
     "The generated random string (sensitive)."),
]
RANDOM_COMPUTED_ONLY = {"bcrypt_hash", "result"}

# random_id, from the provider's schema (random 3.x, schema version 0:
# internal/provider/resource_id.go); same columns. Every computed value but
# `id` starts with `prefix`.
RANDOM_ID_DOC = ("The resource random_id generates random numbers that are intended to be "
                 "used as unique identifiers for other resources.")
RANDOM_ID = [
    ("byte_length", ie.NUMBER, True, False,
     "The number of random bytes to produce."),
    ("keepers", ("map", ie.STRING), False, False,
     "Arbitrary map of values that, when changed, will trigger recreation of resource."),
    ("prefix", ie.STRING, False, False,
     "Arbitrary string to prefix the output value with."),
    ("b64_std", ie.STRING, False, True,
     "The generated id presented in base64 without additional transformations."),
    ("b64_url", ie.STRING, False, True,
     "The generated id presented in base64, using the URL-friendly character set: "
     "case-sensitive letters, digits and the characters `_` and `-`."),
    ("dec", ie.STRING, False, True,
     "The generated id presented in non-padded decimal digits."),
    ("hex", ie.STRING, False, True,
     "The generated id presented in padded hexadecimal digits."),
]
RANDOM_ID_ID_DOC = "The generated id presented in base64 without additional transformations or prefix."


class Converter:
    """Types of one resource.  `readable` selects the view of a reference
    (attributes: computed-only members included) over that of a
    configuration (properties: computed-only members left out)."""

    def __init__(self, native):
        self.native = native
        self.cache = {}   # (name hint, canonical schema, view) -> type name

    def named(self, hint, schema, readable, build):
        """The type name for `schema`, shared between uses that look the same."""
        view = readable and has_computed_only(schema)
        key = (hint, json.dumps(schema, sort_keys=True), view)
        if key not in self.cache:
            name = self.native.types.reserve(hint)
            self.cache[key] = name
            fields = []
            self.native.types.define(name, None, fields)
            build(fields)
        return self.cache[key]

    def type_term(self, t, name):
        """A Terraform type constraint (JSON form) as an Infra type."""
        if isinstance(t, str):
            return {
                "string": ie.STRING,
                "number": ie.NUMBER,
                "bool": ie.BOOL,
                "dynamic": ie.ANY,
            }.get(t, ie.ANY)
        if isinstance(t, list) and t:
            kind = t[0]
            if kind in ("list", "set"):
                return ("list", self.type_term(t[1], name))
            if kind == "map":
                return ("map", self.type_term(t[1], name))
            if kind == "object":
                optional = set(t[2]) if len(t) > 2 else set()

                def build(fields):
                    for fname in sorted(t[1]):
                        fields.append((fname, fname in optional,
                                       self.type_term(t[1][fname], name + ie.pascal(fname))))
                return ("ref", self.named(name, t, False, build))
        return ie.ANY

    def attribute_type(self, a, name, readable=False):
        if "nested_type" in a:
            nt = a["nested_type"]
            inner = ("ref", self.object(nt, name, readable))
            return wrap(nt.get("nesting_mode", "single"), inner)
        return self.type_term(a.get("type", "dynamic"), name)

    def object(self, block, name, readable=False):
        """A named object type for a block (or nested_type attributes)."""
        def build(fields):
            for fname, a in sorted(block.get("attributes", {}).items()):
                if is_computed_only(a) and not readable:
                    continue  # computed-only: not settable
                fields.append((fname, not a.get("required"),
                               self.attribute_type(a, name + ie.pascal(fname), readable)))
            for bname, bt in sorted(block.get("block_types", {}).items()):
                ty, required = self.block_type(bt, name + ie.pascal(bname), readable)
                fields.append((bname, not required, ty))
        return self.named(name, block, readable, build)

    def block_type(self, bt, name, readable=False):
        inner = ("ref", self.object(bt["block"], name, readable))
        required = bt.get("min_items", 0) >= 1
        return wrap(bt["nesting_mode"], inner), required


def is_computed_only(a):
    return bool(a.get("computed")) and not a.get("optional") and not a.get("required")


def has_computed_only(schema):
    """Whether a block / nested_type has computed-only members at any depth."""
    if not isinstance(schema, dict):
        return False
    for a in schema.get("attributes", {}).values():
        if is_computed_only(a) or has_computed_only(a.get("nested_type")):
            return True
    for bt in schema.get("block_types", {}).values():
        if has_computed_only(bt.get("block")):
            return True
    return False


def wrap(mode, inner):
    if mode in ("list", "set"):
        return ("list", inner)
    if mode == "map":
        return ("map", inner)
    return inner  # single, group


def short_name(type_name, prefix):
    base = type_name[len(prefix):] if type_name.startswith(prefix) else type_name
    return ie.pascal(base)


def marks_sensitive(schema):
    """Whether an attribute or block schema, or any member of its nested
    type, carries `"sensitive": true`."""
    if not isinstance(schema, dict):
        return False
    if schema.get("sensitive"):
        return True
    inner = schema.get("nested_type") or schema.get("block") or {}
    members = list(inner.get("attributes", {}).values())
    members += list(inner.get("block_types", {}).values())
    return any(marks_sensitive(m) for m in members)


def sensitive_settings(native, block=None):
    """`sensitive_attributes`: SENSITIVE's names for the type, and the
    top-level attributes and blocks `block` marks sensitive; each must be a
    member of the schema."""
    names = set(SENSITIVE.get(native.type_name, []))
    if block is not None:
        for group in ("attributes", "block_types"):
            names |= {n for n, a in block.get(group, {}).items() if marks_sensitive(a)}
    members = {name for _, name, _, _ in native.members}
    for name in sorted(names - members):
        sys.exit("%s has no member %s (SENSITIVE)" % (native.type_name, name))
    if names:
        native.facts.append(("sensitive_attributes", ie.literal(sorted(names))))


def check_facts(native):
    """The arguments a `final_snapshot` fact names are properties of the
    type."""
    props = {name for kind, name, _, _ in native.members if kind == "property"}
    for name in FACTS.get(native.type_name, {}).get("final_snapshot", {}).values():
        if name not in props:
            sys.exit("%s has no property %s (FACTS)" % (native.type_name, name))


def generate(type_name, schema, prefix, target):
    native = ie.Native(type_name, target, STATE.get(type_name))
    if type_name in SNAPSHOT:
        native.setting("snapshot", "true")
    ie.fact_settings(native, FACTS)
    for (keyed_type, name), (key_field, value_field, _) in sorted(KEYED_ATTRIBUTES.items()):
        if keyed_type == type_name:
            native.facts.append(("keyed_attributes", ie.literal({name: [key_field, value_field]})))
    conv = Converter(native)
    short = short_name(type_name, prefix)
    block = schema["block"]
    attrs = block.get("attributes", {})
    for name, a in sorted(attrs.items()):
        if name == "id":
            continue
        if a.get("required") or a.get("optional"):
            native.prop(name, conv.attribute_type(a, short + ie.pascal(name)),
                        bool(a.get("required")))
    for name, bt in sorted(block.get("block_types", {}).items()):
        ty, required = conv.block_type(bt, short + ie.pascal(name))
        native.prop(name, ty, required)
    native.attr("id", ie.STRING)
    for name, a in sorted(attrs.items()):
        if name == "id" or not a.get("computed"):
            continue
        native.attr(name, conv.attribute_type(a, short + ie.pascal(name), readable=True))
    for (keyed_type, name), (key_field, value_field, doc) in sorted(KEYED_ATTRIBUTES.items()):
        if keyed_type == type_name:
            native.attr(name, ("map", keyed_value_type(conv, block, name, key_field, value_field)), doc)
    check_facts(native)
    sensitive_settings(native, block)
    return native


def generate_data(type_name, schema, prefix, target):
    """A data source, `native "data.TYPE"`: its arguments (lookup filters,
    `id` among them where it is one) are properties, its computed
    attributes attributes. Not yet usable in a program (see
    docs/proposals/existing-resources.md)."""
    native = ie.Native("data." + type_name, target)
    native.file = type_name + ".infra"
    conv = Converter(native)
    short = "Data" + short_name(type_name, prefix)
    block = schema["block"]
    attrs = block.get("attributes", {})
    for name, a in sorted(attrs.items()):
        if a.get("required") or a.get("optional"):
            native.prop(name, conv.attribute_type(a, short + ie.pascal(name)),
                        bool(a.get("required")))
    for name, bt in sorted(block.get("block_types", {}).items()):
        ty, required = conv.block_type(bt, short + ie.pascal(name))
        native.prop(name, ty, required)
    if "id" not in attrs:
        native.attr("id", ie.STRING)
    for name, a in sorted(attrs.items()):
        if a.get("computed") or name == "id":
            native.attr(name, conv.attribute_type(a, short + ie.pascal(name), readable=True))
    sensitive_settings(native, block)
    return native


def keyed_value_type(conv, block, name, key_field, value_field):
    """The type of `value_field` in the objects of the list attribute or
    block `name` (see KEYED_ATTRIBUTES)."""
    bt = block.get("block_types", {}).get(name)
    if bt is not None:
        members = bt["block"].get("attributes", {})
    else:
        t = block["attributes"][name].get("type")
        if not (isinstance(t, list) and t[0] in ("list", "set") and isinstance(t[1], list)
                and t[1][0] == "object"):
            sys.exit("%s is not a list of objects" % name)
        members = {k: {"type": v} for k, v in t[1][1].items()}
    if key_field not in members or value_field not in members:
        sys.exit("%s has no %s or %s" % (name, key_field, value_field))
    return conv.attribute_type(members[value_field], name)


def random_password():
    native = ie.Native("random_password", "terraform", None, RANDOM_PASSWORD_DOC)
    for name, ty, required, computed, doc in RANDOM_PASSWORD:
        if name not in RANDOM_COMPUTED_ONLY:
            native.prop(name, ty, required, doc)
    native.attr("id", ie.STRING)
    for name, ty, required, computed, doc in RANDOM_PASSWORD:
        if computed:
            native.attr(name, ty, doc)
    sensitive_settings(native)
    return native


def random_id():
    native = ie.Native("random_id", "terraform", None, RANDOM_ID_DOC)
    for name, ty, required, computed, doc in RANDOM_ID:
        if not computed:
            native.prop(name, ty, required, doc)
    native.attr("id", ie.STRING, RANDOM_ID_ID_DOC)
    for name, ty, required, computed, doc in RANDOM_ID:
        if computed:
            native.attr(name, ty, doc)
    sensitive_settings(native)
    return native


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schemas", default=os.path.join(here, "..", "..", "..", "shared", "schemas", "terraform"),
                    help="folder with aws.json.gz and openstack.json.gz")
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "stdlib", "native"))
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    for fname, address, folder, prefix in PROVIDERS:
        data = load(args.schemas, fname)
        prov = data["x_provenance"]
        schemas = data["provider_schemas"][address]["resource_schemas"]
        natives = [generate(t, schemas[t], prefix, folder) for t in sorted(schemas)]
        header = ("Generated by tools/gen-schemas/gen_terraform.py from %s %s "
                  "(shared/schemas/terraform/%s). Do not edit."
                  % (address.split("/", 1)[1], prov["provider_version"], fname))
        count, size = ie.write_all(os.path.join(out, folder), natives, header)
        print("%s: %d types, %d bytes" % (folder, count, size))
        sources = data["provider_schemas"][address]["data_source_schemas"]
        natives = [generate_data(t, sources[t], prefix, folder) for t in sorted(sources)]
        count, size = ie.write_all(os.path.join(out, folder, "data"), natives, header)
        print("%s/data: %d data sources, %d bytes" % (folder, count, size))
    # hashicorp/random: random_password and random_id from the tables above
    # (the schema file lacks their docs and sensitive flags), the others from
    # the schema file.
    data = load(args.schemas, "random.json.gz")
    prov = data["x_provenance"]
    schemas = data["provider_schemas"][RANDOM_ADDRESS]["resource_schemas"]
    natives = [generate(t, schemas[t], "random_", "terraform") for t in sorted(schemas)
               if t not in ("random_password", "random_id")]
    for table in (random_id(), random_password()):
        table.header = ("Generated by tools/gen-schemas/gen_terraform.py from the documented "
                        "schemas of hashicorp/random 3.x random_password (schema version 3) and "
                        "random_id (schema version 0), written by hand in the script: the schema "
                        "file lacks their docs and sensitive flags. Do not edit.")
        natives.append(table)
    header = ("Generated by tools/gen-schemas/gen_terraform.py from hashicorp/random %s "
              "(shared/schemas/terraform/random.json.gz). Do not edit." % prov["provider_version"])
    count, size = ie.write_all(os.path.join(out, "terraform"), natives, header)
    print("terraform: %d types, %d bytes" % (count, size))


def load(folder, fname):
    path = os.path.join(folder, fname)
    if not os.path.exists(path):
        sys.exit("%s not found (use --schemas)" % path)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)

if __name__ == "__main__":
    main()
