//! The `terraform` and `provider` blocks, and the data sources context
//! values are read from.

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Context, ParamType};
use crate::json::{Json, json};
use crate::target::TERRAFORM_PROVIDERS as PROVIDERS;

use super::{Cx, Emitter, Entries, REQUIRED_VERSION};

/// The auth scope data source that region, project and catalog are read from.
const AUTH_SCOPE: &str = "data.openstack_identity_auth_scope_v3.current";

impl<'d> Emitter<'d> {
    pub(super) fn terraform_block(&mut self) -> Json<'static> {
        let d = self.d;
        let mut locals: Vec<&str> = vec![self.provider];
        // Resources of a type mostly come together: each type asked once.
        let mut last_type = "";
        for r in &d.resources {
            if *r.type_name == *last_type {
                continue;
            }
            last_type = &r.type_name;
            let local = match r.type_name.bytes().position(|b| b == b'_') {
                Some(end) => &r.type_name[..end],
                None => &r.type_name,
            };
            if locals.contains(&local) {
                continue;
            }
            if !PROVIDERS.iter().any(|p| p.local == local) {
                // The checker accepts only the vocabularies of known providers.
                self.internal(
                    r.span,
                    format!(
                        "`{}` belongs to a provider the Terraform backend does not know",
                        r.type_name
                    ),
                );
            }
            locals.push(local);
        }
        let mut required: Entries = Vec::new();
        for local in locals {
            if let Some(p) = PROVIDERS.iter().find(|p| p.local == local) {
                let spec = json!({ "source": p.source, "version": p.version });
                required.push((p.local.into(), spec));
            }
        }
        json!({
            "required_version": REQUIRED_VERSION,
            "required_providers": Json::Object(required),
        })
    }

    /// The provider's configuration: only its region, from a param named
    /// `region`. Credentials come from the environment, never the file.
    pub(super) fn provider_block(&mut self) -> Json<'static> {
        let mut config: Entries = Vec::new();
        if let Some(p) = self.params.get("region")
            && p.ty == ParamType::String
        {
            let name = &self.variables["region"];
            config.push(("region".into(), format!("${{var.{name}}}").into()));
        }
        Json::single(self.provider, Json::Object(config))
    }

    pub(super) fn data_sources(&mut self) -> Entries<'static> {
        let mut data: Entries = Vec::new();
        let mut add = |ty: &'static str, name: &'static str, body: Json<'static>| {
            data.push((ty.into(), Json::single(name, body)));
        };
        let [region, zones, _, account, object_store] = self.contexts;
        if self.provider == "aws" {
            if region {
                add("aws_region", "current", json!({}));
            }
            if zones {
                add(
                    "aws_availability_zones",
                    "available",
                    json!({ "state": "available" }),
                );
            }
            if account {
                add("aws_caller_identity", "current", json!({}));
            }
        } else {
            if region || account || object_store {
                add(
                    "openstack_identity_auth_scope_v3",
                    "current",
                    json!({ "name": "current" }),
                );
            }
            if zones {
                add(
                    "openstack_compute_availability_zones_v2",
                    "available",
                    json!({}),
                );
            }
        }
        data
    }

    pub(super) fn context(&mut self, c: Context) -> String {
        let slot = match c {
            Context::Region => 0,
            Context::Zones => 1,
            Context::StackName => 2,
            Context::AccountId => 3,
        };
        self.contexts[slot] = true;
        let aws = self.provider == "aws";
        match c {
            Context::StackName => "terraform.workspace",
            Context::Region if aws => "data.aws_region.current.region",
            Context::Zones if aws => "data.aws_availability_zones.available.names",
            Context::AccountId if aws => "data.aws_caller_identity.current.account_id",
            Context::Region => "data.openstack_identity_auth_scope_v3.current.region",
            Context::Zones => "data.openstack_compute_availability_zones_v2.available.names",
            Context::AccountId => "data.openstack_identity_auth_scope_v3.current.project_id",
        }
        .into()
    }

    /// The object store's public endpoint (`https://swift.example.com/v1/AUTH_...`),
    /// from the auth scope's service catalog: the one `object-store` service,
    /// its one public endpoint in the provider's region (any region when the
    /// provider names none), as the provider itself chooses endpoints.
    /// `one` fails the plan, with its own message, when the catalog has
    /// several. The aws provider has no OpenStack catalog: E0552.
    pub(super) fn object_store_url(&mut self, cx: Cx) -> String {
        if self.provider == "aws" {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0552,
                    cx.span,
                    format!(
                        "`object_store_url()` is the endpoint of OpenStack's object store, which {} cannot read",
                        self.d.target.display()
                    ),
                )
                .label("reads `object_store_url()`")
                .note("the value comes from OpenStack's service catalog, which only the openstack provider reads")
                .help("build this program with `--provider openstack`, or read a `storage.Bucket`'s `domain_name` and `website_url`, which every target gives"),
            );
            return "null".into();
        }
        self.contexts[4] = true;
        format!(
            "one([for s in {AUTH_SCOPE}.service_catalog : one([for e in s.endpoints : e.url if e.interface == \"public\" && contains([\"\", e.region_id, e.region], {AUTH_SCOPE}.region)]) if s.type == \"object-store\"])"
        )
    }
}
