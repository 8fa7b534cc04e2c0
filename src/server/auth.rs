//! Who is calling: a JWT verified with a shared secret (HS256) or a public key (RS256, ES256), carrying the seed's
//! org claim (`OrgID`, or `org_id`) and `exp`. An optional `workspaces` claim (a list) limits the token to those
//! workspaces; without it the token reaches every workspace of its org.

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use lakefeed_core::{Error, Result};
use serde::Deserialize;

/// How tokens are verified.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithms", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(rename = "OrgID", default)]
    org_id_seed: Option<String>,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    workspaces: Option<Vec<String>>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(rename = "UserID", default)]
    user_id: Option<String>,
}

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The org the token belongs to.
    pub org: String,
    /// The workspaces it may use (`None`: all of its org's).
    pub workspaces: Option<Vec<String>>,
    /// The user, when the token names one.
    pub user: Option<String>,
}

impl Caller {
    /// Whether the caller may use workspace `ws`.
    pub fn may_use(&self, ws: &str) -> bool {
        self.workspaces
            .as_ref()
            .is_none_or(|w| w.iter().any(|x| x == ws))
    }
}

impl Verifier {
    /// HS256 with a shared secret.
    pub fn secret(secret: &str) -> Result<Self> {
        if secret.len() < 16 {
            return Err(Error::Auth(
                "the JWT secret must be at least 16 characters".into(),
            ));
        }
        Ok(Self::with(
            DecodingKey::from_secret(secret.as_bytes()),
            &[Algorithm::HS256],
        ))
    }

    /// RS256 or ES256 with a PEM public key (the algorithm follows the key).
    pub fn public_key(pem_file: &Path) -> Result<Self> {
        let pem = std::fs::read(pem_file).map_err(|e| Error::from_io(pem_file, &e))?;
        if let Ok(k) = DecodingKey::from_rsa_pem(&pem) {
            return Ok(Self::with(k, &[Algorithm::RS256]));
        }
        DecodingKey::from_ec_pem(&pem)
            .map(|k| Self::with(k, &[Algorithm::ES256]))
            .map_err(|e| Error::bad_source(pem_file, format!("not an RSA or EC public key: {e}")))
    }

    fn with(key: DecodingKey, algorithms: &[Algorithm]) -> Self {
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms.to_vec();
        validation.validate_exp = true;
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        Self { key, validation }
    }

    /// The caller a bearer token proves, or an AuthError saying why not.
    pub fn verify(&self, token: &str) -> Result<Caller> {
        let data = decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            Error::Auth(match e.kind() {
                ErrorKind::ExpiredSignature => "Token expired".to_string(),
                ErrorKind::InvalidSignature => "invalid token signature".to_string(),
                ErrorKind::MissingRequiredClaim(c) => format!("the token has no '{c}' claim"),
                _ => format!("invalid token: {e}"),
            })
        })?;
        let c = data.claims;
        let org = c
            .org_id_seed
            .or(c.org_id)
            .ok_or_else(|| Error::Auth("Token does not contain org_id claim".into()))?;
        Ok(Caller {
            org,
            workspaces: c.workspaces,
            user: c.user_id.or(c.sub),
        })
    }
}

/// A token `lakefeed serve --jwt-secret SECRET` accepts (HS256): the seed's `OrgID` claim, `exp` in `hours`, and,
/// when `workspaces` is not empty, a `workspaces` claim limiting it to those.
pub fn sign(secret: &str, org: &str, workspaces: &[String], hours: u64) -> Result<String> {
    Verifier::secret(secret)?;
    lakefeed_core::validate_table_name(org)
        .map_err(|_| Error::Auth(format!("'{org}' is not a usable org id")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| Error::Other(format!("the clock is before 1970: {e}")))?;
    let mut claims = serde_json::json!({"OrgID": org, "exp": now.as_secs() + hours * 3600});
    if !workspaces.is_empty() {
        claims["workspaces"] = serde_json::json!(workspaces);
    }
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| Error::Auth(format!("cannot sign a token: {e}")))
}
