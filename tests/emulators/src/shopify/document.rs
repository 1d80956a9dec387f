//! A GraphQL request read for real: the document parsed with `graphql-parser`, the
//! operation chosen (by `operationName`, or the only one), fragments indexed, and argument
//! values resolved against the request's variables into JSON.

use std::collections::HashMap;

use graphql_parser::query::{
    Definition, Document, Field, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, Value as GqlValue,
};
use serde_json::{Map, Value};

/// The operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
}

/// A parsed request: its operation's root selection, fragments and variables.
pub struct Request<'a> {
    pub kind: Kind,
    pub selection: &'a SelectionSet<'a, String>,
    pub fragments: HashMap<&'a str, &'a FragmentDefinition<'a, String>>,
    pub variables: Map<String, Value>,
}

/// Parses `query` (an error message like Shopify's for a syntax error).
pub fn parse(query: &str) -> Result<Document<'_, String>, String> {
    graphql_parser::parse_query::<String>(query).map_err(|e| {
        let text = e.to_string();
        format!(
            "Parse error: {}",
            text.lines().next().unwrap_or("invalid document")
        )
    })
}

impl<'a> Request<'a> {
    /// The operation of `doc` named `operation_name` (or its only operation).
    pub fn new(
        doc: &'a Document<'a, String>,
        operation_name: Option<&str>,
        variables: Map<String, Value>,
    ) -> Result<Self, String> {
        let mut operations = Vec::new();
        let mut fragments = HashMap::new();
        for def in &doc.definitions {
            match def {
                Definition::Operation(op) => operations.push(op),
                Definition::Fragment(f) => {
                    fragments.insert(f.name.as_str(), f);
                }
            }
        }
        let name_of = |op: &OperationDefinition<'a, String>| -> Option<String> {
            match op {
                OperationDefinition::Query(q) => q.name.clone(),
                OperationDefinition::Mutation(m) => m.name.clone(),
                OperationDefinition::Subscription(s) => s.name.clone(),
                OperationDefinition::SelectionSet(_) => None,
            }
        };
        let op = match operation_name {
            Some(name) => operations
                .into_iter()
                .find(|op| name_of(op).as_deref() == Some(name))
                .ok_or_else(|| format!("No operation named \"{name}\""))?,
            None if operations.len() == 1 => operations[0],
            None => {
                return Err(
                    "An operation name is required when sending a document with multiple operations"
                        .into(),
                );
            }
        };
        let (kind, selection) = match op {
            OperationDefinition::SelectionSet(s) => (Kind::Query, s),
            OperationDefinition::Query(q) => (Kind::Query, &q.selection_set),
            OperationDefinition::Mutation(m) => (Kind::Mutation, &m.selection_set),
            OperationDefinition::Subscription(_) => {
                return Err("Subscriptions are not supported".into());
            }
        };
        Ok(Self {
            kind,
            selection,
            fragments,
            variables,
        })
    }

    /// An argument value as JSON, variables substituted (an absent variable is null).
    pub fn value<'f>(&self, v: &GqlValue<'f, String>) -> Value {
        match v {
            GqlValue::Variable(name) => self.variables.get(name).cloned().unwrap_or(Value::Null),
            GqlValue::Int(n) => n.as_i64().map_or(Value::Null, Value::from),
            GqlValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            GqlValue::String(s) => Value::String(s.clone()),
            GqlValue::Boolean(b) => Value::Bool(*b),
            GqlValue::Null => Value::Null,
            GqlValue::Enum(e) => Value::String(e.clone()),
            GqlValue::List(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            GqlValue::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
        }
    }

    /// A field's arguments as a JSON object.
    pub fn args<'f>(&self, field: &Field<'f, String>) -> Map<String, Value> {
        field
            .arguments
            .iter()
            .map(|(k, v)| (k.clone(), self.value(v)))
            .collect()
    }

    /// The fields of a selection set that apply to an object of `typename` (`None`: all of
    /// them), fragments spread in, in document order.
    pub fn fields(
        &self,
        set: &'a SelectionSet<'a, String>,
        typename: Option<&str>,
    ) -> Result<Vec<&'a Field<'a, String>>, String> {
        let mut out = Vec::new();
        self.collect(set, typename, &mut out, 0)?;
        Ok(out)
    }

    fn collect(
        &self,
        set: &'a SelectionSet<'a, String>,
        typename: Option<&str>,
        out: &mut Vec<&'a Field<'a, String>>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > 32 {
            return Err("Fragments nest too deeply (or spread themselves)".into());
        }
        let applies = |cond: &Option<TypeCondition<'a, String>>| match (cond, typename) {
            (Some(TypeCondition::On(t)), Some(have)) => t == have || t == "Node",
            _ => true,
        };
        for item in &set.items {
            match item {
                Selection::Field(f) => out.push(f),
                Selection::InlineFragment(f) => {
                    if applies(&f.type_condition) {
                        self.collect(&f.selection_set, typename, out, depth + 1)?;
                    }
                }
                Selection::FragmentSpread(s) => {
                    let frag = self
                        .fragments
                        .get(s.fragment_name.as_str())
                        .ok_or_else(|| {
                            format!("Fragment {} was used, but not defined", s.fragment_name)
                        })?;
                    if applies(&Some(frag.type_condition.clone())) {
                        self.collect(&frag.selection_set, typename, out, depth + 1)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_the_operation_and_resolves_variables() {
        let doc = parse(
            "query A($n: Int!) { orders(first: $n, query: \"x\") { nodes { id } } }
             mutation B { orderClose(input: {id: \"g\"}) { userErrors { message } } }",
        )
        .unwrap();
        assert!(Request::new(&doc, None, Map::new()).is_err());
        let vars = json!({"n": 5}).as_object().unwrap().clone();
        let req = Request::new(&doc, Some("A"), vars).unwrap();
        assert_eq!(req.kind, Kind::Query);
        let fields = req.fields(req.selection, None).unwrap();
        assert_eq!(fields[0].name, "orders");
        assert_eq!(
            Value::Object(req.args(fields[0])),
            json!({"first": 5, "query": "x"})
        );
        let req = Request::new(&doc, Some("B"), Map::new()).unwrap();
        assert_eq!(req.kind, Kind::Mutation);
        assert!(parse("{ orders(first: ) }").is_err());
    }

    #[test]
    fn fragments_apply_by_type() {
        let doc = parse(
            "{ node(id: \"x\") { id ... on Order { name } ... on Product { title } ...F } }
             fragment F on Order { email }",
        )
        .unwrap();
        let req = Request::new(&doc, None, Map::new()).unwrap();
        let node = req.fields(req.selection, None).unwrap()[0];
        let names: Vec<&str> = req
            .fields(&node.selection_set, Some("Order"))
            .unwrap()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, vec!["id", "name", "email"]);
    }
}
