// The body of the minimal connector, shared by `minimal` (0.1.0) and `minimal-next`
// (0.2.0), which differ only in `VERSION`: the hot-reload tests swap one for the other.

wit_bindgen::generate!({
    world: "plugin",
    path: "../../../wit",
    generate_all,
});

use exports::junction::connector::connector::{
    CheckInfo, ConnectorError, ConnectorManifest as Manifest, Entity, Guest, ListRequest, Page,
    ResourceKind, WriteOp, WriteOutcome,
};

struct Minimal;

impl Guest for Minimal {
    fn manifest() -> Manifest {
        Manifest {
            key: "minimal".into(),
            name: "Minimal".into(),
            version: VERSION.into(),
            description: "Does nothing; the benchmark floor.".into(),
            resources: vec![ResourceKind::Products],
            writes: vec![],
            config_schema: r#"{"type":"object"}"#.into(),
            hosts: vec![],
            rate_limit: None,
            deletions: vec![],
        }
    }

    fn check(_config: String) -> Result<CheckInfo, ConnectorError> {
        Ok(CheckInfo {
            message: "nothing to check".into(),
        })
    }

    fn list(_config: String, _request: ListRequest) -> Result<Page, ConnectorError> {
        Ok(Page {
            entities: vec![],
            next_cursor: None,
            deleted: vec![],
            ids: vec![],
        })
    }

    fn get(
        _config: String,
        _resource: ResourceKind,
        id: String,
        _parent_id: Option<String>,
    ) -> Result<Entity, ConnectorError> {
        Err(ConnectorError::NotFound(id))
    }

    fn write(_config: String, _op: WriteOp) -> Result<WriteOutcome, ConnectorError> {
        Err(ConnectorError::Unsupported("minimal writes nothing".into()))
    }

    fn write_batch(
        _config: String,
        ops: Vec<WriteOp>,
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        Ok(ops
            .iter()
            .map(|_| Err(ConnectorError::Unsupported("minimal writes nothing".into())))
            .collect())
    }
}

export!(Minimal);
