#!/usr/bin/env python3
"""Generate stdlib/native/heat/*.infra from OpenStack Heat's own resource
plugin classes (properties_schema and attributes_schema).

Usage (run by hand, not by CI; it must run with the Python of the Heat
virtualenv, since it imports Heat):

    ../shared/tools/heat-setup           # once: /opt/heat-venv with Heat 27.0.1
    /opt/heat-venv/bin/python tools/gen-schemas/gen_heat.py

Apart from Heat itself (loaded offline: no database, no network), Python 3
standard library only.

Mapping (Heat schema -> Infra):
  String/Integer/Number/Boolean/Any -> string/int/number/bool/any
  List -> [T] (T from the item schema, else any)
  Map with a member schema -> named object type <Short><Path>
  Map without one -> {string: any}
  required=True -> T, else T?
  properties and map members whose support_status is HIDDEN are left out;
  deprecated ones are kept, their doc says so.
  attribute: every entry of attributes_schema but `show` and HIDDEN ones;
  its type from the attribute's declared type (String/Integer/Boolean/List/
  Map), any when undeclared.
  replaced_by = [...]: the properties a change of which makes Heat replace
  the resource: those whose schema is not update_allowed and that the
  class does not list in update_allowed_properties (Resource.
  update_template_diff_properties raises UpdateReplace for them). Immutable
  properties are left out: changing one fails the update instead.
  may_replace = [...]: MAY_REPLACE, update_allowed properties a plugin's
  needs_replace_with_prop_diff replaces the resource for, depending on
  another property.
"""

import argparse
import logging
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import infra_emit as ie  # noqa: E402

# Facts the plugins do not state, written as settings (see
# infra_emit.fact_settings): which properties hold IPv4 network blocks that
# Neutron checks (security group rules are left out: Neutron takes an
# address with host bits there and masks it); which attributes hold IP
# addresses, and which type is a DNS record with its type and values, for
# the check that a CNAME record does not point at an address (E0537).
FACTS = {
    "OS::Neutron::FloatingIP": {"address_attributes": ["floating_ip_address", "fixed_ip_address"]},
    "OS::Neutron::Port": {"address_attributes": ["fixed_ips"]},
    "OS::Neutron::Subnet": {"cidr": ["cidr"], "address_attributes": ["gateway_ip"]},
    "OS::Nova::Server": {
        "address_attributes": ["accessIPv4", "accessIPv6", "addresses", "networks"],
    },
    "OS::Octavia::LoadBalancer": {"address_attributes": ["vip_address"]},
    "OS::Designate::RecordSet": {"dns_record": {"type": "type", "records": "records"}},
}

# `id_param`: the custom constraint (Heat's `heat.constraints` entry
# points) that checks a parameter names an existing resource of the type,
# which an `existing` declaration gives the param holding its id.
ID_CONSTRAINTS = {
    "OS::Barbican::CertificateContainer": "barbican.container",
    "OS::Barbican::GenericContainer": "barbican.container",
    "OS::Barbican::RSAContainer": "barbican.container",
    "OS::Barbican::Secret": "barbican.secret",
    "OS::Cinder::QoSSpecs": "cinder.qos_specs",
    "OS::Cinder::Volume": "cinder.volume",
    "OS::Cinder::VolumeType": "cinder.vtype",
    "OS::Designate::Zone": "designate.zone",
    "OS::Glance::WebImage": "glance.image",
    "OS::Keystone::Domain": "keystone.domain",
    "OS::Keystone::Group": "keystone.group",
    "OS::Keystone::Project": "keystone.project",
    "OS::Keystone::Region": "keystone.region",
    "OS::Keystone::Role": "keystone.role",
    "OS::Keystone::Service": "keystone.service",
    "OS::Keystone::User": "keystone.user",
    "OS::Magnum::ClusterTemplate": "magnum.cluster_template",
    "OS::Manila::ShareNetwork": "manila.share_network",
    "OS::Manila::ShareType": "manila.share_type",
    "OS::Mistral::Workflow": "mistral.workflow",
    "OS::Neutron::AddressScope": "neutron.address_scope",
    "OS::Neutron::FlowClassifier": "neutron.flow_classifier",
    "OS::Neutron::Net": "neutron.network",
    "OS::Neutron::Port": "neutron.port",
    "OS::Neutron::PortPair": "neutron.port_pair",
    "OS::Neutron::PortPairGroup": "neutron.port_pair_group",
    "OS::Neutron::QoSPolicy": "neutron.qos_policy",
    "OS::Neutron::Router": "neutron.router",
    "OS::Neutron::SecurityGroup": "neutron.security_group",
    "OS::Neutron::Segment": "neutron.segment",
    "OS::Neutron::Subnet": "neutron.subnet",
    "OS::Neutron::SubnetPool": "neutron.subnetpool",
    "OS::Neutron::TaaS::TapFlow": "neutron.taas.tap_flow",
    "OS::Neutron::TaaS::TapService": "neutron.taas.tap_service",
    "OS::Nova::Flavor": "nova.flavor",
    "OS::Nova::KeyPair": "nova.keypair",
    "OS::Nova::Server": "nova.server",
    "OS::Octavia::AvailabilityZone": "octavia.availabilityzone",
    "OS::Octavia::AvailabilityZoneProfile": "octavia.availabilityzoneprofile",
    "OS::Octavia::Flavor": "octavia.flavor",
    "OS::Octavia::FlavorProfile": "octavia.flavorprofile",
    "OS::Octavia::L7Policy": "octavia.l7policy",
    "OS::Octavia::Listener": "octavia.listener",
    "OS::Octavia::LoadBalancer": "octavia.loadbalancer",
    "OS::Octavia::Pool": "octavia.pool",
    "OS::Zaqar::Queue": "zaqar.queue",
}
for _type, _constraint in ID_CONSTRAINTS.items():
    FACTS.setdefault(_type, {})["id_param"] = _constraint

# Properties that are update_allowed but whose change a plugin's
# needs_replace_with_prop_diff turns into a replacement, depending on an
# update policy property (OS::Nova::Server: flavor_update_policy,
# image_update_policy, user_data_update_policy; the last one's default is
# REPLACE).
MAY_REPLACE = {
    "OS::Nova::Server": ["flavor", "image", "user_data"],
}

# Members one of which (or every member of one of the sets) a plugin's
# validate() requires, a rule in code rather than in properties_schema
# (PropertyUnspecifiedError; the server's and the volume's own errors),
# written as `one_of_required` (infra_emit.one_of_settings): a necessary
# condition, what the plugin asks besides (a bootable volume's boot index,
# one source only) is left to Heat.
ONE_OF_REQUIRED = {
    "OS::Cinder::Quota": {"": [["gigabytes"], ["snapshots"], ["volumes"], ["backups"],
                               ["backup_gigabytes"]]},
    "OS::Cinder::Volume": {"": [["size"], ["backup_id"], ["source_volid"], ["snapshot_id"]]},
    "OS::Mistral::CronTrigger": {"": [["pattern"], ["first_time"]]},
    "OS::Mistral::Workflow": {"tasks[]": [["action"], ["workflow"]]},
    "OS::Neutron::Quota": {"": [["floatingip"], ["network"], ["port"], ["rbac_policy"],
                                ["router"], ["security_group"], ["security_group_rule"],
                                ["subnet"], ["subnetpool"]]},
    "OS::Neutron::RouterInterface": {"": [["subnet"], ["port"]]},
    "OS::Neutron::Subnet": {"": [["cidr"], ["subnetpool"]]},
    "OS::Nova::Quota": {"": [["cores"], ["fixed_ips"], ["floating_ips"],
                             ["injected_file_content_bytes"], ["injected_file_path_bytes"],
                             ["injected_files"], ["instances"], ["key_pairs"],
                             ["metadata_items"], ["ram"], ["security_group_rules"],
                             ["security_groups"], ["server_group_members"], ["server_groups"]]},
    "OS::Nova::Server": {"": [["image"], ["block_device_mapping"], ["block_device_mapping_v2"]]},
    "OS::Octavia::Pool": {"": [["loadbalancer"], ["listener"]]},
    "OS::Octavia::Quota": {"": [["healthmonitor"], ["listener"], ["loadbalancer"], ["member"],
                                ["pool"]]},
    "OS::Zun::Container": {"networks[]": [["network"], ["port"]]},
}

STATE = {
    "OS::Cinder::Volume": "persistent",
    "OS::Swift::Container": "persistent",
    "OS::Designate::Zone": "persistent",
    "OS::Trove::Instance": "persistent",
    "OS::Zaqar::Queue": "volatile",
}


def load_heat():
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    try:
        from oslo_config import cfg
        from heat.common import config  # noqa: F401  (registers options)
    except ImportError:
        sys.exit("Heat is not importable: run this with /opt/heat-venv/bin/python "
                 "(made by ../shared/tools/heat-setup)")
    cfg.CONF([], project="heat", default_config_files=[])
    cfg.CONF.set_default("environment_dir",
                         os.path.join(sys.prefix, "etc", "heat", "environment.d"))
    from heat.engine import resources
    resources.initialise()
    return resources.global_env()


def heat_version():
    try:
        from heat import version
        return version.version_info.version_string()
    except Exception:
        return "unknown"


class Converter:
    def __init__(self, native, short):
        self.native = native
        self.short = short

    def convert(self, schema, name_hint):
        from heat.engine import properties
        S = properties.Schema
        t = schema.type
        if t == S.STRING:
            return ie.STRING
        if t == S.INTEGER:
            return ie.INT
        if t == S.NUMBER:
            return ie.NUMBER
        if t == S.BOOLEAN:
            return ie.BOOL
        if t == S.ANY:
            return ie.ANY
        if t == S.LIST:
            if schema.schema is None:
                return ("list", ie.ANY)
            return ("list", self.convert(schema.schema["*"], name_hint))
        if t == S.MAP:
            if not schema.schema:
                return ("map", ie.ANY)
            name = self.native.types.reserve(name_hint)
            fields = []
            self.native.types.define(name, schema.description, fields)
            for fname, fs in schema.schema.items():
                if hidden(fs):
                    continue
                fields.append((fname, not fs.required,
                               self.convert(fs, name_hint + ie.pascal(fname))))
            return ("ref", name)
        raise ValueError("unknown Heat property type %r" % (t,))


def hidden(schema):
    from heat.engine import support
    status = getattr(schema, "support_status", None)
    return status is not None and status.status == support.HIDDEN


def value_constraints(schema):
    """A scalar property's AllowedValues, AllowedPattern, Length and Range,
    in a param's option terms (Heat matches a pattern against the whole
    value, as the checker does); nothing for other types."""
    from heat.engine import constraints as c
    from heat.engine import properties
    S = properties.Schema
    if schema.type not in (S.STRING, S.INTEGER, S.NUMBER):
        return {}
    out = {}
    for constraint in schema.constraints or []:
        if isinstance(constraint, c.AllowedValues):
            want = str if schema.type == S.STRING else (int, float)
            values = list(constraint.allowed)
            if values and all(isinstance(v, want) and not isinstance(v, bool) for v in values):
                out["allowed"] = list(dict.fromkeys(values))
        elif isinstance(constraint, c.AllowedPattern) and schema.type == S.STRING:
            out["pattern"] = constraint.pattern
        elif isinstance(constraint, c.Length) and schema.type == S.STRING:
            if constraint.min is not None:
                out["min_length"] = constraint.min
            if constraint.max is not None:
                out["max_length"] = constraint.max
        elif isinstance(constraint, c.Range) and schema.type != S.STRING:
            if constraint.min is not None:
                out["min"] = constraint.min
            if constraint.max is not None:
                out["max"] = constraint.max
    return out


def deprecated(schema):
    from heat.engine import support
    status = getattr(schema, "support_status", None)
    return status is not None and status.status == support.DEPRECATED


def status_note(schema):
    """'Deprecated.' (or the like) for a non-SUPPORTED status, else ''."""
    from heat.engine import support
    status = getattr(schema, "support_status", None)
    if status is None or status.status == support.SUPPORTED:
        return ""
    return status.status.capitalize() + "."


def join_doc(prefix, text):
    sentence = ie.first_sentence(text)
    if prefix and sentence:
        return prefix + " " + sentence
    return prefix or sentence


def attribute_type(attr_schema):
    from heat.engine import attributes
    A = attributes.Schema
    return {
        A.STRING: ie.STRING,
        A.INTEGER: ie.INT,
        A.BOOLEAN: ie.BOOL,
        A.LIST: ("list", ie.ANY),
        A.MAP: ("map", ie.ANY),
        getattr(A, "NUMBER", "Number"): ie.NUMBER,
    }.get(attr_schema.type, ie.ANY)


def generate(env, type_name):
    cls = env.get_class(type_name)
    short = type_name.split("::")[-1]
    doc = ie.first_sentence(cls.__doc__ or "")
    note = status_note(cls)
    native = ie.Native(type_name, "heat", STATE.get(type_name), join_doc(note, doc))
    # `deletion_policy: Snapshot` is honoured by the plugins that define a
    # snapshot-before-delete handler (Cinder volumes, Nova servers).
    if callable(getattr(cls, "handle_snapshot_delete", None)):
        native.setting("snapshot", "true")
    ie.fact_settings(native, FACTS)
    conv = Converter(native, short)
    for name, schema in cls.properties_schema.items():
        if hidden(schema):
            continue
        if not getattr(schema, "implemented", True):
            print("note: %s.%s is not implemented: left out" % (type_name, name),
                  file=sys.stderr)
            continue
        ty = conv.convert(schema, short + ie.pascal(name))
        native.prop(name, ty, bool(schema.required),
                    join_doc(status_note(schema), schema.description))
    for name, schema in cls.attributes_schema.items():
        if name == "show" or hidden(schema):
            continue
        native.attr(name, attribute_type(schema),
                    join_doc(status_note(schema), schema.description))
    allowed = set(getattr(cls, "update_allowed_properties", ()) or ())
    replaced = [name for name, schema in cls.properties_schema.items()
                if not schema.update_allowed and name not in allowed
                and not getattr(schema, "immutable", False)]
    ie.replacement_settings(native, replaced, MAY_REPLACE.get(type_name, []))
    ie.constraint_settings(native, {name: value_constraints(schema)
                                    for name, schema in cls.properties_schema.items()})
    ie.one_of_settings(native, ONE_OF_REQUIRED.get(type_name, {}))
    ie.deprecation_settings(
        native,
        [name for name, schema in cls.properties_schema.items()
         if not hidden(schema) and deprecated(schema)],
        deprecated(cls))
    return native


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "native", "heat"))
    args = ap.parse_args()
    env = load_heat()
    # Heat's AWS-compatible types (`AWS::EC2::Instance`, ...) are spelt as
    # CloudFormation's vocabulary: the OS:: types only.
    types = sorted(t for t in env.get_types(support_status=None) if t.startswith("OS::"))
    natives = [generate(env, t) for t in types]
    header = ("Generated by tools/gen-schemas/gen_heat.py from the resource plugins of "
              "OpenStack Heat %s. Do not edit." % heat_version())
    count, size = ie.write_all(os.path.normpath(args.out), natives, header)
    print("heat: %d types, %d bytes" % (count, size))


if __name__ == "__main__":
    main()
