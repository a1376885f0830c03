#!/usr/bin/env python3
"""Rebuild hashicorp/random's provider schema, in `terraform providers schema
-json` form (format_version 1.0), from the prebuilt CDK for Terraform
bindings on PyPI, the way ../shared/schemas/terraform/ was rebuilt for the
aws and openstack providers.

Usage (run by hand, not by CI):

    pip download --no-deps cdktf-cdktf-provider-random==12.0.1 -d /tmp/p
    python3 tools/gen-schemas/gen_random_schema.py \\
        /tmp/p/cdktf_cdktf_provider_random-12.0.1-py3-none-any.whl [OUT]

OUT defaults to .ci/random-schema.json (what .ci/validate hands to
tf-validate).  Python 3 standard library only.

Source.  The wheel carries the jsii assembly of the npm package
`@cdktf/provider-random` (`_jsii/provider-random@<v>.jsii.tgz`: `.jsii`,
`package.json`, `lib/<module>/index.js`).  Each `index.js` was compiled from
TypeScript that cdktf's generator wrote from `terraform providers schema
-json` of the pinned provider; its inline source map keeps that TypeScript
(`sourcesContent`), which is read here.  Per resource it gives:
  - the resource type (`tfResourceType = "random_password"`) and provider
    version (`terraformGeneratorMetadata.providerVersion`);
  - every attribute, as Terraform spells it, with the schema's flags, in the
    generator's comment `// min_lower - computed: true, optional: true,
    required: false` (the compiled JS keeps that comment only for
    computed-only attributes, hence the TypeScript);
  - its type, from the getter (`getStringAttribute('min_lower')` ->
    string, `getStringMapAttribute` -> map(string), `getListAttribute` ->
    list(string), `cdktf.Fn.tolist(...)` -> set, ...), checked against the
    `synthesizeHclAttributes` entry (`type: "list"`, `storageClassType:
    "stringList"`) for settable attributes;
  - the description of settable attributes (the doc comment of the Config
    interface member, up to "Docs at Terraform Registry"; its link anchor,
    `#min_lower`, is checked against the attribute name).
The resource classes are checked against the `.jsii` assembly's types.

Not in the package, so not in the output (known gaps, also recorded in
`x_provenance`): `sensitive`, `deprecated` and `write_only` flags (a
deprecation shows only as prose in a description); resource schema versions
(written as 0, as in the shared files); descriptions of computed-only
attributes and of resources; ephemeral resources (cdktf 0.21 generates none;
random 3.7 has an ephemeral random_password).  Nested blocks and object
types are not handled: hashicorp/random has none, and an attribute of a kind
this script does not know stops it rather than being guessed.
"""

import base64
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import zipfile

PROVIDER = "registry.terraform.io/hashicorp/random"

# Getter expression -> Terraform type (JSON form).  Anything else stops the
# script: it would need a rule, not a guess.
GETTERS = [
    (r"this\.getStringAttribute\('([^']+)'\)", "string"),
    (r"this\.getNumberAttribute\('([^']+)'\)", "number"),
    (r"this\.getBooleanAttribute\('([^']+)'\)", "bool"),
    (r"this\.getStringMapAttribute\('([^']+)'\)", ["map", "string"]),
    (r"this\.getNumberMapAttribute\('([^']+)'\)", ["map", "number"]),
    (r"this\.getBooleanMapAttribute\('([^']+)'\)", ["map", "bool"]),
    (r"this\.getListAttribute\('([^']+)'\)", ["list", "string"]),
    (r"this\.getNumberListAttribute\('([^']+)'\)", ["list", "number"]),
    (r"cdktf\.Fn\.tolist\(this\.getListAttribute\('([^']+)'\)\)", ["set", "string"]),
    (r"cdktf\.Token\.asNumberList\(cdktf\.Fn\.tolist\(this\.getNumberListAttribute\('([^']+)'\)\)\)",
     ["set", "number"]),
]

# synthesizeHclAttributes (type, storageClassType) -> Terraform type.
HCL_TYPES = {
    ("simple", "string"): "string",
    ("simple", "number"): "number",
    ("simple", "boolean"): "bool",
    ("map", "stringMap"): ["map", "string"],
    ("map", "numberMap"): ["map", "number"],
    ("map", "booleanMap"): ["map", "bool"],
    ("list", "stringList"): ["list", "string"],
    ("list", "numberList"): ["list", "number"],
    ("set", "stringList"): ["set", "string"],
    ("set", "numberList"): ["set", "number"],
}

FLAGS = re.compile(
    r"^  // (\S+) - computed: (true|false), optional: (true|false), required: (true|false)\n"
    r"(?:  private _\w+\?: [^\n]*\n)?"
    r"  public get (\w+)\(\) \{\n"
    r"    return ([^\n]*);\n",
    re.M,
)
HCL_ENTRY = re.compile(
    r"^      (\w+): \{\n"
    r"        value: [^\n]*\n"
    r"        isBlock: (true|false),\n"
    r"        type: \"(\w+)\",\n"
    r"        storageClassType: \"(\w+)\",\n"
    r"      \},\n",
    re.M,
)
CONFIG_MEMBER = re.compile(r"  /\*\*\n((?:  \*[^\n]*\n)+)  \*/\n  readonly (\w+)\??: ", re.M)
DOCS_LINK = re.compile(r"Docs at Terraform Registry: \{@link \S+#(\S+) \w+#\S+\}")


def fail(msg):
    sys.exit("gen_random_schema: " + msg)


def read_package(wheel):
    """(package.json, .jsii, {module: TypeScript source}) from the wheel."""
    with zipfile.ZipFile(wheel) as z:
        tgzs = [n for n in z.namelist() if re.search(r"/_jsii/[^/]+\.jsii\.tgz$", n)]
        if len(tgzs) != 1:
            fail("%s: expected one _jsii/*.jsii.tgz, found %r" % (wheel, tgzs))
        blob = z.read(tgzs[0])
    sources = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        def member(name):
            f = tar.extractfile("package/" + name)
            if f is None:
                fail("%s not in %s" % (name, tgzs[0]))
            return f.read().decode("utf-8")
        package = json.loads(member("package.json"))
        assembly = json.loads(member(".jsii"))
        for m in tar.getmembers():
            found = re.fullmatch(r"package/lib/([^/]+)/index\.js", m.name)
            if not found:
                continue
            js = tar.extractfile(m).read().decode("utf-8")
            sm = re.search(r"sourceMappingURL=data:application/json;base64,(\S+)", js)
            if not sm:
                fail("%s has no inline source map (the TypeScript is needed for the flags)" % m.name)
            smap = json.loads(base64.b64decode(sm.group(1)))
            content = smap.get("sourcesContent") or [None]
            if len(content) != 1 or not content[0]:
                fail("%s: source map without the TypeScript source" % m.name)
            sources[found.group(1)] = content[0]
    return package, assembly, sources


def getter_type(expr, name, where):
    for pattern, ty in GETTERS:
        m = re.fullmatch(pattern, expr)
        if m:
            if m.group(1) != name:
                fail("%s: getter of %s reads %r" % (where, name, m.group(1)))
            return ty
    fail("%s: attribute %s has a getter this script does not know: %s" % (where, name, expr))


def config_docs(src, where):
    """Descriptions of the settable attributes, by Terraform name."""
    m = re.search(r"^export interface \w+Config extends cdktf\.TerraformMetaArguments \{\n(.*?)^\}",
                  src, re.S | re.M)
    if not m:
        fail("%s: no Config interface" % where)
    docs = {}
    for comment, _camel in CONFIG_MEMBER.findall(m.group(1)):
        lines = [re.sub(r"^  \* ?", "", line) for line in comment.rstrip("\n").split("\n")]
        text = "\n".join(lines)
        link = DOCS_LINK.search(text)
        if not link:
            fail("%s: a Config member without its registry link" % where)
        desc = text[:link.start()].strip()
        if desc:
            docs[link.group(1)] = desc
    return docs


def resource(src, where):
    """(type name, provider version, schema) of one generated resource module."""
    if not re.search(r"^export class \w+ extends cdktf\.TerraformResource \{", src, re.M):
        fail("%s: not a resource" % where)
    tname = re.search(r'public static readonly tfResourceType = "([^"]+)";', src).group(1)
    version = re.search(r"providerVersion: '([^']+)'", src).group(1)
    if "extends cdktf.ComplexObject" in src or "isBlock: true" in src:
        fail("%s (%s): nested blocks or objects, which this script does not handle" % (where, tname))
    body = src[src.index("  // ATTRIBUTES\n"):src.index("  // SYNTHESIS\n")]
    hcl = {n: (b, t, s) for n, b, t, s in HCL_ENTRY.findall(src)}
    docs = config_docs(src, where)
    attrs = {}
    for name, computed, optional, required, _camel, expr in FLAGS.findall(body):
        ty = getter_type(expr, name, where)
        a = {"type": ty}
        if required == "true":
            a["required"] = True
        if optional == "true":
            a["optional"] = True
        if computed == "true":
            a["computed"] = True
        if "required" not in a and "optional" not in a and "computed" not in a:
            fail("%s: %s is neither required, optional nor computed" % (where, name))
        settable = "required" in a or "optional" in a
        if settable:
            if name not in hcl:
                fail("%s: settable %s is not synthesized" % (where, name))
            _b, kind, storage = hcl.pop(name)
            if HCL_TYPES.get((kind, storage)) != ty:
                fail("%s: %s: getter says %r, synthesis says %s/%s" % (where, name, ty, kind, storage))
        if name in docs:
            a["description"] = docs.pop(name)
        if name in attrs:
            fail("%s: %s twice" % (where, name))
        attrs[name] = a
    # Every flag comment must have been read: count them independently.
    if len(re.findall(r"^  // \S+ - computed: ", body, re.M)) != len(attrs):
        fail("%s: some attribute comments were not understood" % where)
    if hcl:
        fail("%s: synthesized but not read: %s" % (where, sorted(hcl)))
    if docs:
        fail("%s: documented but not read: %s" % (where, sorted(docs)))
    return tname, version, {"version": 0, "block": {"attributes": attrs}}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) not in (2, 3) or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    wheel = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(here, "..", "..", ".ci", "random-schema.json")
    with open(wheel, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    package, assembly, sources = read_package(wheel)

    # The resource classes, as the assembly lists them.
    classes = {fqn for fqn, t in assembly["types"].items()
               if t.get("kind") == "class" and t.get("base") == "cdktf.TerraformResource"}
    others = {fqn for fqn, t in assembly["types"].items()
              if t.get("kind") == "class" and t.get("base") not in ("cdktf.TerraformResource",
                                                                      "cdktf.TerraformProvider")}
    if others:
        fail("classes this script does not handle (data sources? blocks?): %s" % sorted(others))

    resources = {}
    versions = set()
    provider_src = None
    for module, src in sorted(sources.items()):
        where = "lib/%s" % module
        if re.search(r"^export class \w+ extends cdktf\.TerraformProvider \{", src, re.M):
            provider_src = src
            continue
        if not re.search(r"^export class \w+ extends cdktf\.TerraformResource \{", src, re.M):
            continue  # index, lazy-index
        tname, version, schema = resource(src, where)
        resources[tname] = schema
        versions.add(version)
    if len(resources) != len(classes):
        fail("%d resource modules, but the assembly has %d resource classes" % (len(resources), len(classes)))
    if provider_src is None:
        fail("no provider module")
    # The provider block: cdktf adds `alias` (a meta-argument) to every
    # provider; anything else would be a provider setting, which random has
    # none of.
    provider_attrs = re.findall(r"^  // (\S+) - computed: ", provider_src, re.M)
    if provider_attrs != ["alias"]:
        fail("provider settings this script does not handle: %s" % provider_attrs)
    if len(versions) != 1:
        fail("several provider versions: %s" % sorted(versions))
    provider_version = versions.pop()
    if not provider_version.startswith("3."):
        fail("provider version %s is not 3.x" % provider_version)

    data = {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER: {
                "provider": {"version": 0, "block": {}},
                "resource_schemas": resources,
                "data_source_schemas": {},
            }
        },
        "x_provenance": {
            "extracted_by": "tools/gen-schemas/gen_random_schema.py",
            "from_file": os.path.basename(wheel),
            "from_file_sha256": sha256,
            "from_package": "%s %s" % (package["name"], package["version"]),
            "provider": PROVIDER,
            "provider_version": provider_version,
            "note": ("rebuilt from the cdktf generated bindings (TypeScript in the source maps): names, "
                     "types, required/optional/computed exact; descriptions of settable attributes "
                     "as the generator's doc comments have them. Not in the package, so absent: "
                     "sensitive/deprecated/write_only flags, descriptions of computed-only attributes "
                     "and resources, ephemeral resources; schema versions written as 0."),
        },
    }
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print("%s: %s %s, %d resources (%s), %d bytes"
          % (os.path.normpath(out), PROVIDER, provider_version, len(resources),
             ", ".join(sorted(resources)), len(text)))


if __name__ == "__main__":
    main()
