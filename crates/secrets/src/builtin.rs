//! The built-in rule catalogue and the built-in allow rules.
//!
//! Rule IDs follow Trivy's where Trivy has the rule (`aws-access-key-id`, `github-pat`,
//! `slack-web-hook`, ...), so `disable-rules` lists written for Trivy keep working. Every rule
//! has keywords for the prefilter and a regex with a bounded match length. A new rule is one
//! entry here plus one line in `tests/rules.rs` (a true positive and a near miss).
//!
//! Shapes used below:
//! - token rules: a vendor prefix and a fixed alphabet and length, fenced by `START`/`END`
//!   so a token is not found inside a longer word;
//! - keyed rules ([`keyed`]): a value of a given shape assigned to a name that contains the
//!   vendor's name (`FACEBOOK_TOKEN = "..."`), for vendors whose tokens have no prefix.

use crate::rule::{AllowSpec, Check, RuleSpec};
use osprey_model::Severity;

const C: Severity = Severity::Critical;
const H: Severity = Severity::High;
const M: Severity = Severity::Medium;
const L: Severity = Severity::Low;

/// Default entropy gate of keyed rules: their values have no fixed prefix, so a low-entropy
/// value (`0000...`, `abcabc...`) is far more likely a placeholder than a credential.
const KEYED_ENTROPY: f64 = 3.0;

/// How a built-in rule's regex is written.
pub(crate) enum Pattern {
    /// A complete regex.
    Raw(&'static str),
    /// A value assigned to a name: (name alternation, value regex).
    Keyed(&'static str, &'static str),
}

/// A built-in rule, as a const table entry.
pub(crate) struct Builtin {
    pub id: &'static str,
    pub category: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub keywords: &'static [&'static str],
    pub pattern: Pattern,
    pub entropy: f64,
    pub check: Check,
    pub generic: bool,
    pub requires: &'static [&'static str],
    pub block_end: Option<&'static str>,
    pub skip_docs: bool,
}

const fn raw(
    id: &'static str,
    category: &'static str,
    severity: Severity,
    title: &'static str,
    keywords: &'static [&'static str],
    regex: &'static str,
) -> Builtin {
    Builtin {
        id,
        category,
        severity,
        title,
        keywords,
        pattern: Pattern::Raw(regex),
        entropy: 0.0,
        check: Check::None,
        generic: false,
        requires: &[],
        block_end: None,
        skip_docs: false,
    }
}

/// A keyed rule: `name` is a regex alternation of name fragments, `value` the value's shape.
const fn keyed(
    id: &'static str,
    category: &'static str,
    severity: Severity,
    title: &'static str,
    keywords: &'static [&'static str],
    name: &'static str,
    value: &'static str,
) -> Builtin {
    Builtin {
        id,
        category,
        severity,
        title,
        keywords,
        pattern: Pattern::Keyed(name, value),
        entropy: KEYED_ENTROPY,
        check: Check::None,
        generic: false,
        requires: &[],
        block_end: None,
        skip_docs: false,
    }
}

impl Builtin {
    const fn entropy(mut self, bits: f64) -> Self {
        self.entropy = bits;
        self
    }
    const fn check(mut self, check: Check) -> Self {
        self.check = check;
        self
    }
    /// Generic rules find mostly examples in documentation, so they skip it.
    const fn generic(mut self) -> Self {
        self.generic = true;
        self.skip_docs = true;
        self
    }
    const fn skip_docs(mut self) -> Self {
        self.skip_docs = true;
        self
    }
    const fn requires(mut self, literals: &'static [&'static str]) -> Self {
        self.requires = literals;
        self
    }
    const fn block(mut self, end: &'static str) -> Self {
        self.block_end = Some(end);
        self
    }

    /// The rule's full regex.
    pub fn regex(&self) -> String {
        match self.pattern {
            Pattern::Raw(r) => r.to_string(),
            Pattern::Keyed(name, value) => format!(
                r#"(?i)(?:^|[^a-z0-9])(?:{name})[a-z0-9_.\-]{{0,25}}["'`]?[ \t]{{0,4}}(?:=|:=|:|=>|\|\|:|<=|>)[ \t]{{0,4}}["'`]?(?P<secret>{value})(?:[^a-z0-9_+/=\-]|$)"#
            ),
        }
    }

    /// The rule as a spec for the compiler.
    pub fn spec(&self) -> RuleSpec {
        let mut spec = RuleSpec::new(
            self.id,
            self.category,
            self.severity,
            self.title,
            self.regex(),
        );
        spec.keywords = self.keywords.iter().map(|k| k.to_string()).collect();
        spec.min_entropy = self.entropy;
        spec.check = self.check;
        spec.generic = self.generic;
        spec.requires = self.requires.iter().map(|k| k.to_string()).collect();
        spec.block_end = self.block_end.map(str::to_string);
        spec.skip_docs = self.skip_docs;
        spec
    }
}

// Token fences: a token must not continue a longer run of token characters on either side.
macro_rules! tok {
    ($body:literal) => {
        concat!(
            r"(?:^|[^0-9A-Za-z_\-])(?P<secret>",
            $body,
            r")(?:[^0-9A-Za-z_\-]|$)"
        )
    };
}

/// Every built-in rule, specific rules first, generic ones last.
pub(crate) static BUILTIN_RULES: &[Builtin] = &[
    // ---- AWS
    raw("aws-access-key-id", "AWS", C, "AWS Access Key ID",
        &["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", "A3T"],
        tok!(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}"))
        .entropy(3.0),
    keyed("aws-secret-access-key", "AWS", C, "AWS Secret Access Key", &["secret"],
        r"aws_?secret(?:_?access)?_?key|secret_?access_?key|aws_?secret",
        r"[A-Za-z0-9/+]{40}").entropy(4.0),
    keyed("aws-session-token", "AWS", H, "AWS Session Token",
        &["FwoGZXIvYXdz", "IQoJb3JpZ2luX2Vj", "FQoGZXIvYXdz"],
        r"aws_?session_?token|session_?token",
        r"(?:FwoGZXIvYXdz|IQoJb3JpZ2luX2Vj|FQoGZXIvYXdz)[A-Za-z0-9/+=]{100,1200}"),
    raw("aws-mws-key", "AWS", H, "Amazon MWS Auth Token", &["amzn.mws."],
        r"amzn\.mws\.(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"),
    // ---- GitHub
    raw("github-pat", "GitHub", C, "GitHub Personal Access Token", &["ghp_"],
        tok!(r"ghp_[0-9A-Za-z]{36}")).check(Check::GithubCrc32),
    raw("github-oauth", "GitHub", C, "GitHub OAuth Access Token", &["gho_"],
        tok!(r"gho_[0-9A-Za-z]{36}")).check(Check::GithubCrc32),
    raw("github-app-token", "GitHub", C, "GitHub App Token", &["ghu_", "ghs_"],
        tok!(r"gh[us]_[0-9A-Za-z]{36}")).check(Check::GithubCrc32),
    raw("github-refresh-token", "GitHub", C, "GitHub Refresh Token", &["ghr_"],
        tok!(r"ghr_[0-9A-Za-z]{76}")).entropy(4.0),
    raw("github-fine-grained-pat", "GitHub", C, "GitHub Fine-grained personal access tokens",
        &["github_pat_"], tok!(r"github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}")).entropy(4.0),
    // ---- GitLab
    raw("gitlab-pat", "GitLab", C, "GitLab Personal Access Token", &["glpat-"],
        tok!(r"glpat-[0-9A-Za-z_\-]{20}(?:[0-9A-Za-z_\-]{7,40}\.[0-9a-z]{2}\.[0-9a-z]{9})?"))
        .entropy(3.0),
    raw("gitlab-pipeline-trigger-token", "GitLab", H, "GitLab Pipeline Trigger Token", &["glptt-"],
        tok!(r"glptt-[0-9a-f]{40}")).entropy(3.0),
    raw("gitlab-runner-registration-token", "GitLab", H, "GitLab Runner Registration Token",
        &["GR1348941"], tok!(r"GR1348941[0-9A-Za-z_\-]{20}")).entropy(3.0),
    raw("gitlab-runner-auth-token", "GitLab", H, "GitLab Runner Authentication Token", &["glrt-"],
        tok!(r"glrt-[0-9A-Za-z_\-]{20,64}")).entropy(3.0),
    raw("gitlab-deploy-token", "GitLab", H, "GitLab Deploy Token", &["gldt-"],
        tok!(r"gldt-[0-9A-Za-z_\-]{20,64}")).entropy(3.0),
    raw("gitlab-oauth-app-secret", "GitLab", H, "GitLab OAuth Application Secret", &["gloas-"],
        tok!(r"gloas-[0-9a-f]{64}")).entropy(3.0),
    raw("gitlab-feed-token", "GitLab", M, "GitLab Feed Token", &["glft-"],
        tok!(r"glft-[0-9A-Za-z_\-]{20,64}")).entropy(3.0),
    raw("gitlab-cicd-job-token", "GitLab", H, "GitLab CI/CD Job Token", &["glcbt-"],
        tok!(r"glcbt-[0-9a-f]{1,5}_[0-9A-Za-z_\-]{20,64}")).entropy(3.0),
    raw("gitlab-incoming-mail-token", "GitLab", M, "GitLab Incoming Mail Token", &["glimt-"],
        tok!(r"glimt-[0-9A-Za-z_\-]{25}")).entropy(3.0),
    raw("gitlab-scim-token", "GitLab", H, "GitLab SCIM Token", &["glsoat-"],
        tok!(r"glsoat-[0-9A-Za-z_\-]{20,64}")).entropy(3.0),
    raw("gitlab-feature-flag-client-token", "GitLab", M, "GitLab Feature Flag Client Token",
        &["glffct-"], tok!(r"glffct-[0-9A-Za-z_\-]{20,64}")).entropy(3.0),
    raw("gitlab-agent-token", "GitLab", H, "GitLab Kubernetes Agent Token", &["glagent-"],
        tok!(r"glagent-[0-9A-Za-z_\-]{50,64}")).entropy(3.0),
    // ---- Bitbucket, Atlassian
    keyed("bitbucket-client-id", "Bitbucket", H, "Bitbucket client ID", &["bitbucket"],
        "bitbucket", "[a-z0-9]{32}"),
    keyed("bitbucket-client-secret", "Bitbucket", H, "Bitbucket client secret", &["bitbucket"],
        "bitbucket", r"[a-z0-9_\-]{64}"),
    raw("bitbucket-app-password", "Bitbucket", H, "Bitbucket App Password / Access Token",
        &["ATBB", "ATCTT3"], tok!(r"(?:ATBB[A-Za-z0-9_=.\-]{32}|ATCTT3xFfGN0[A-Za-z0-9_=\-]{150,250})"))
        .entropy(3.5),
    keyed("atlassian-api-token", "Atlassian", H, "Atlassian API token", &["atlassian", "jira", "confluence"],
        "atlassian|jira|confluence", "[a-z0-9]{24}"),
    raw("atlassian-api-token-v2", "Atlassian", H, "Atlassian API token", &["ATATT3"],
        tok!(r"ATATT3[A-Za-z0-9_=\-]{186}")).entropy(3.5),
    // ---- Slack, Discord, chat
    raw("slack-access-token", "Slack", H, "Slack token", &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxo-"],
        tok!(r"xox[baprso]-[0-9]{6,14}-[0-9A-Za-z\-]{10,90}")).entropy(3.0),
    raw("slack-app-token", "Slack", H, "Slack App-level token", &["xapp-"],
        tok!(r"xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{50,70}")),
    raw("slack-config-access-token", "Slack", H, "Slack Configuration Access Token", &["xoxe.xox"],
        tok!(r"xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{150,170}")),
    raw("slack-config-refresh-token", "Slack", H, "Slack Configuration Refresh Token", &["xoxe-"],
        tok!(r"xoxe-[0-9]-[A-Za-z0-9]{140,150}")),
    raw("slack-web-hook", "Slack", M, "Slack Webhook", &["hooks.slack.com"],
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9+/]{43,56})"),
    raw("discord-webhook", "Discord", M, "Discord Webhook", &["discord"],
        r"https?://(?:[a-z]{1,10}\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_\-]{60,72})"),
    keyed("discord-api-token", "Discord", M, "Discord API key", &["discord"], "discord", "[a-h0-9]{64}"),
    keyed("discord-client-id", "Discord", M, "Discord client ID", &["discord"], "discord", "[0-9]{18}")
        .entropy(2.5),
    keyed("discord-client-secret", "Discord", M, "Discord client secret", &["discord"],
        "discord", r"[a-z0-9=_\-]{32}"),
    keyed("discord-bot-token", "Discord", H, "Discord Bot Token", &["discord"], "discord",
        r"[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}"),
    raw("telegram-bot-token", "Telegram", H, "Telegram Bot API Token", &[":AA"],
        tok!(r"[0-9]{8,10}:AA[0-9A-Za-z_\-]{33}")).entropy(3.5),
    raw("microsoft-teams-webhook", "MicrosoftTeams", M, "Microsoft Teams Webhook",
        &["webhook.office.com"],
        r"https://[a-z0-9\-]{1,64}\.webhook\.office\.com/webhookb2/[a-f0-9\-]{36}@[a-f0-9\-]{36}/IncomingWebhook/(?P<secret>[a-f0-9]{32})/[a-f0-9\-]{36}"),
    raw("zapier-webhook", "Zapier", M, "Zapier Webhook", &["hooks.zapier.com"],
        r"https://hooks\.zapier\.com/hooks/catch/[0-9]{3,12}/(?P<secret>[a-z0-9]{5,16})"),
    // ---- Payment
    raw("stripe-publishable-token", "Stripe", L, "Stripe Publishable Key", &["pk_test_", "pk_live_"],
        tok!(r"pk_(?:test|live)_[0-9A-Za-z]{10,99}")).entropy(3.0),
    raw("stripe-secret-token", "Stripe", C, "Stripe Secret Key", &["sk_test_", "sk_live_"],
        tok!(r"sk_(?:test|live)_[0-9A-Za-z]{10,99}")).entropy(3.0),
    raw("stripe-restricted-key", "Stripe", C, "Stripe Restricted Key", &["rk_test_", "rk_live_"],
        tok!(r"rk_(?:test|live)_[0-9A-Za-z]{10,99}")).entropy(3.0),
    raw("stripe-webhook-secret", "Stripe", H, "Stripe Webhook Signing Secret", &["whsec_"],
        tok!(r"whsec_[0-9A-Za-z]{32,64}")).entropy(3.5),
    raw("square-access-token", "Square", H, "Square Access Token", &["sq0atp-", "EAAA"],
        tok!(r"(?:sq0atp-[0-9A-Za-z_\-]{22}|EAAA[0-9A-Za-z_\-]{60})")).entropy(3.5),
    raw("square-oauth-secret", "Square", H, "Square OAuth Secret", &["sq0csp-"],
        tok!(r"sq0csp-[0-9A-Za-z_\-]{43}")).entropy(3.5),
    raw("braintree-access-token", "Braintree", C, "PayPal Braintree Access Token", &["access_token$"],
        r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$(?P<secret>[0-9a-f]{32})"),
    raw("plaid-access-token", "Plaid", H, "Plaid Access Token", &["access-"],
        tok!(r"access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
    raw("shopify-token", "Shopify", H, "Shopify token", &["shpss_", "shpat_", "shpca_", "shppa_"],
        tok!(r"shp(?:ss|at|ca|pa)_[a-fA-F0-9]{32}")).entropy(3.0),
    raw("flutterwave-public-key", "Flutterwave", M, "Flutterwave public/secret key",
        &["FLWSECK_TEST-", "FLWPUBK_TEST-", "FLWSECK-", "FLWPUBK-"],
        tok!(r"FLW(?:PUB|SEC)K(?:_TEST)?-[a-h0-9]{32}-X")).entropy(3.0),
    raw("flutterwave-enc-key", "Flutterwave", M, "Flutterwave encrypted key", &["FLWSECK_TEST"],
        tok!(r"FLWSECK_TEST[a-h0-9]{12}")).entropy(3.0),
    keyed("gocardless-api-token", "GoCardless", M, "GoCardless API token", &["gocardless"],
        "gocardless", r"live_[a-z0-9\-_=]{40}"),
    keyed("finicity-client-secret", "Finicity", M, "Finicity client secret", &["finicity"],
        "finicity", "[a-z0-9]{20}"),
    keyed("finicity-api-token", "Finicity", M, "Finicity API token", &["finicity"], "finicity", "[a-f0-9]{32}"),
    // ---- Package registries
    raw("npm-access-token", "Npm", C, "npm access token", &["npm_"], tok!(r"npm_[0-9A-Za-z]{36}"))
        .entropy(3.5),
    raw("pypi-upload-token", "PyPI", H, "PyPI upload token", &["pypi-AgEIcHlwaS5vcmc"],
        tok!(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,1000}")),
    raw("rubygems-api-token", "RubyGems", M, "Rubygem API token", &["rubygems_"],
        tok!(r"rubygems_[a-f0-9]{48}")).entropy(3.0),
    raw("nuget-api-key", "NuGet", H, "NuGet API Key", &["oy2"], tok!(r"oy2[a-z0-9]{43}")).entropy(3.5),
    raw("clojars-api-token", "Clojars", M, "Clojars API token", &["CLOJARS_"],
        tok!(r"CLOJARS_[a-zA-Z0-9]{60}")).entropy(3.0),
    raw("private-packagist-token", "Private Packagist", H, "Private Packagist token",
        &["packagist_uut_", "packagist_ort_", "packagist_out_"],
        tok!(r"packagist_(?:uut|ort|out)_[a-fA-F0-9]{68}")),
    raw("dockerconfig-secret", "Docker", H, "Dockerconfig secret exposed", &["dockerc"],
        r"(?i)\.(?:dockerconfigjson|dockercfg)[ \t]{0,4}:[ \t]{0,4}\|?[ \t]{0,4}(?P<secret>(?:ey|ew)[A-Za-z0-9+/=]{20,8000})"),
    raw("docker-config-auth", "Docker", H, "Docker registry credentials (config.json auths)",
        &["\"auth\""],
        r#""auth"[ \t]{0,4}:[ \t]{0,4}"(?P<secret>[A-Za-z0-9+/]{4,1024}={0,2})""#)
        .requires(&["auths"]).check(Check::BasicAuthBase64),
    raw("dockerhub-pat", "Docker", H, "Docker Hub Personal Access Token", &["dckr_pat_", "dckr_oat_"],
        tok!(r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,32}")).entropy(3.5),
    raw("jfrog-api-key", "JFrog", H, "JFrog Artifactory API Key", &["AKCp"],
        tok!(r"AKCp[A-Za-z0-9]{69}")).entropy(3.5),
    raw("jfrog-identity-token", "JFrog", H, "JFrog Identity / Reference Token", &["cmVmdGtuOjAxOj"],
        tok!(r"cmVmdGtuOjAxOj[A-Za-z0-9]{50}")).entropy(3.5),
    // Registry-scoped (`//host/path/:_authToken=`) anywhere, as in `RUN echo ... > .npmrc`;
    // the bare form only at a line start with no space before `=`, as .npmrc files write it.
    raw("npmrc-auth", "Npm", H, "npm registry credentials in .npmrc", &["_auth", "_password"],
        r#"(?:/[^\s:/]{1,253}(?:/[^\s:]{0,200})?/:_(?:authToken|auth|password)[ \t]{0,4}=[ \t]{0,4}|(?m:^)[ \t]{0,8}_(?:authToken|auth|password)=)["']?(?P<secret>[A-Za-z0-9._~+/=\-]{16,512})"#)
        .entropy(3.0).generic(),
    // ---- Google
    raw("gcp-service-account", "Google", C, "Google (GCP) Service-account", &["private_key_id"],
        r#""private_key_id"[ \t]{0,4}:[ \t]{0,4}"(?P<secret>[a-f0-9]{40})""#)
        .requires(&["service_account"]),
    raw("google-api-key", "Google", H, "Google API Key", &["AIza"], tok!(r"AIza[0-9A-Za-z_\-]{35}"))
        .entropy(3.5),
    raw("gcp-oauth-client-secret", "Google", H, "Google OAuth Client Secret", &["GOCSPX-"],
        tok!(r"GOCSPX-[A-Za-z0-9_\-]{28}")).entropy(3.5),
    raw("gcp-oauth-access-token", "Google", H, "Google OAuth Access Token", &["ya29."],
        tok!(r"ya29\.[0-9A-Za-z_\-]{30,400}")).entropy(3.5),
    // ---- Azure
    raw("azure-storage-account-key", "Azure", C, "Azure Storage Account Key", &["accountkey"],
        r"(?i)AccountKey[ \t]{0,4}=[ \t]{0,4}(?P<secret>[A-Za-z0-9+/]{86}==)").entropy(4.0),
    raw("azure-cosmosdb-account-key", "Azure", C, "Azure Cosmos DB Account Key", &["azure.com"],
        r"(?i)AccountEndpoint=https://[a-z0-9\-]{3,63}\.(?:documents|cosmos)\.azure\.com(?::[0-9]{1,5})?/?;[ \t]{0,2}AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)")
        .entropy(4.0),
    raw("azure-sas-token", "Azure", H, "Azure Shared Access Signature Token", &["sig="],
        r"(?:[?&;]|SharedAccessSignature=)sv=[0-9]{4}-[0-9]{2}-[0-9]{2}(?:&[A-Za-z]{2,6}=[^\s&\x22'<>]{1,100}){0,12}&sig=(?P<secret>[A-Za-z0-9%+/=]{30,100})")
        .entropy(3.5),
    raw("azure-entra-id-client-secret", "Azure", H, "Azure Entra ID Client Secret", &["8Q~"],
        r"(?:^|[^A-Za-z0-9_~.\-])(?P<secret>[A-Za-z0-9_~.\-]{3}8Q~[A-Za-z0-9_~.\-]{34})(?:[^A-Za-z0-9_~.\-]|$)")
        .entropy(3.5),
    raw("azure-app-configuration-connection-string", "Azure", H,
        "Azure App Configuration Connection String", &["azconfig.io"],
        r"Endpoint=https://[a-z0-9\-]{1,64}\.azconfig\.io;[ \t]{0,2}Id=[^;\s]{1,64};[ \t]{0,2}Secret=(?P<secret>[A-Za-z0-9+/]{40,88}={0,2})"),
    raw("azure-service-bus-connection-string", "Azure", H,
        "Azure Service Bus / Event Hubs Connection String", &["servicebus.windows.net"],
        r"Endpoint=sb://[a-z0-9\-]{1,64}\.servicebus\.windows\.net/?;[ \t]{0,2}SharedAccessKeyName=[^;\s]{1,256};[ \t]{0,2}SharedAccessKey=(?P<secret>[A-Za-z0-9+/]{43}=)")
        .entropy(3.5),
    keyed("azure-devops-pat", "Azure", H, "Azure DevOps Personal Access Token",
        &["devops", "azdo", "vsts"], r"azure[_.\-]?devops|azdo|vsts|devops[_.\-]?pat", "[a-z2-7]{52}")
        .entropy(3.5),
    keyed("azure-ai-services-key", "Azure", H, "Azure AI Services / OpenAI Key",
        &["azure", "cognitive", "ocp-apim"],
        r"azure[_.\-]?(?:openai|ai|cognitive|speech|translator|vision)|cognitive[_.\-]?services|ocp-apim-subscription-key",
        "[a-f0-9]{32}"),
    // ---- Other clouds and infrastructure
    raw("alibaba-access-key-id", "Alibaba", H, "Alibaba AccessKey ID", &["LTAI"],
        tok!(r"LTAI[A-Za-z0-9]{12,20}")).entropy(3.0),
    keyed("alibaba-secret-key", "Alibaba", H, "Alibaba Secret Key", &["alibaba", "aliyun"],
        "alibaba|aliyun", "[a-z0-9]{30}"),
    raw("tencent-cloud-secret-id", "Tencent", H, "Tencent Cloud SecretId", &["AKID"],
        tok!(r"AKID[A-Za-z0-9]{32}")).entropy(3.5),
    raw("digitalocean-pat", "DigitalOcean", C, "DigitalOcean Personal Access Token",
        &["dop_v1_", "doo_v1_", "dor_v1_"], tok!(r"do[por]_v1_[a-f0-9]{64}")).entropy(3.0),
    keyed("heroku-api-key", "Heroku", H, "Heroku API Key", &["heroku"], "heroku",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    raw("heroku-api-key-v2", "Heroku", H, "Heroku API Key", &["HRKU-"],
        tok!(r"HRKU-[A-Za-z0-9_\-]{58,60}")).entropy(3.5),
    raw("hashicorp-tf-api-token", "HashiCorp", M, "HashiCorp Terraform user/org API token",
        &["atlasv1."], tok!(r"[a-zA-Z0-9]{14}\.atlasv1\.[a-zA-Z0-9\-_=]{60,70}")).entropy(3.5),
    raw("vault-service-token", "HashiCorp", H, "HashiCorp Vault Service Token", &["hvs."],
        tok!(r"hvs\.[A-Za-z0-9_\-]{90,120}")).entropy(3.5),
    raw("vault-batch-token", "HashiCorp", H, "HashiCorp Vault Batch Token", &["hvb."],
        tok!(r"hvb\.[A-Za-z0-9_\-]{138,300}")).entropy(3.5),
    raw("doppler-api-token", "Doppler", M, "Doppler API token", &["dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."],
        tok!(r"dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}")).entropy(3.5),
    raw("pulumi-api-token", "Pulumi", H, "Pulumi API token", &["pul-"], tok!(r"pul-[a-f0-9]{40}"))
        .entropy(3.0),
    raw("databricks-api-token", "Databricks", M, "Databricks API token", &["dapi"],
        tok!(r"dapi[a-h0-9]{32}(?:-[0-9])?")).entropy(3.0),
    raw("planetscale-password", "Planetscale", M, "PlanetScale password", &["pscale_pw_"],
        tok!(r"pscale_pw_[a-zA-Z0-9\-_.]{43}")).entropy(3.5),
    raw("planetscale-api-token", "Planetscale", M, "PlanetScale API token", &["pscale_tkn_"],
        tok!(r"pscale_tkn_[a-zA-Z0-9\-_.]{43}")).entropy(3.5),
    raw("planetscale-oauth-token", "Planetscale", M, "PlanetScale OAuth token", &["pscale_oauth_"],
        tok!(r"pscale_oauth_[a-zA-Z0-9\-_.]{32,64}")).entropy(3.5),
    raw("fly-io-access-token", "FlyIO", H, "Fly.io Access Token", &["fo1_"],
        tok!(r"fo1_[A-Za-z0-9_\-]{43}")).entropy(3.5),
    raw("tailscale-key", "Tailscale", H, "Tailscale API / Auth Key", &["tskey-"],
        tok!(r"tskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{6,20}-[A-Za-z0-9]{20,64}"))
        .entropy(3.5),
    raw("supabase-access-token", "Supabase", H, "Supabase Access Token", &["sbp_"],
        tok!(r"sbp_[a-f0-9]{40}")).entropy(3.0),
    raw("scalingo-api-token", "Scalingo", H, "Scalingo API Token", &["tk-us-"],
        tok!(r"tk-us-[A-Za-z0-9_\-]{48}")).entropy(3.5),
    raw("cloudflare-origin-ca-key", "Cloudflare", H, "Cloudflare Origin CA Key", &["v1.0-"],
        tok!(r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}")).entropy(3.0),
    keyed("cloudflare-api-token", "Cloudflare", H, "Cloudflare API Token", &["cloudflare", "cf_api"],
        r"cloudflare|cf_api", r"[A-Za-z0-9_\-]{40}").entropy(3.5),
    keyed("cloudflare-global-api-key", "Cloudflare", H, "Cloudflare Global API Key",
        &["cloudflare", "cf_api"], r"cloudflare|cf_api", "[a-f0-9]{37}"),
    raw("kubeconfig-client-key", "Kubernetes", H, "Kubernetes client key in a kubeconfig",
        &["client-key-data"], r"client-key-data:[ \t]{0,4}(?P<secret>[A-Za-z0-9+/=]{40,8000})"),
    // ---- Observability and developer tools
    raw("grafana-api-token", "Grafana", M, "Grafana API token", &["eyJrIjoi"],
        tok!(r"eyJrIjoi[A-Za-z0-9\-_=]{72,92}")),
    raw("grafana-cloud-api-token", "Grafana", H, "Grafana Cloud API Token", &["glc_"],
        tok!(r"glc_[A-Za-z0-9+/]{32,400}={0,2}")).entropy(3.5),
    raw("grafana-service-account-token", "Grafana", H, "Grafana Service Account Token", &["glsa_"],
        tok!(r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}")).entropy(3.5),
    raw("new-relic-user-api-key", "NewRelic", M, "New Relic user API Key", &["NRAK-"],
        tok!(r"NRAK-[A-Z0-9]{27}")).entropy(3.0),
    keyed("new-relic-user-api-id", "NewRelic", M, "New Relic user API ID", &["newrelic", "new_relic"],
        r"new_?relic", "[A-Z0-9]{64}"),
    raw("new-relic-browser-api-token", "NewRelic", M, "New Relic ingest browser API token", &["NRJS-"],
        tok!(r"NRJS-[a-f0-9]{19}")).entropy(3.0),
    raw("new-relic-insert-key", "NewRelic", M, "New Relic Insert Key", &["NRII-"],
        tok!(r"NRII-[A-Za-z0-9_\-]{32}")).entropy(3.0),
    raw("new-relic-license-key", "NewRelic", M, "New Relic License Key", &["NRAL"],
        tok!(r"[a-f0-9]{36}NRAL")).entropy(3.0),
    raw("dynatrace-api-token", "Dynatrace", M, "Dynatrace API token", &["dt0c01."],
        tok!(r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}")).entropy(3.5),
    raw("sentry-user-token", "Sentry", H, "Sentry User Auth Token", &["sntryu_"],
        tok!(r"sntryu_[a-f0-9]{64}")).entropy(3.0),
    raw("sentry-org-token", "Sentry", H, "Sentry Organization Auth Token", &["sntrys_"],
        tok!(r"sntrys_eyJ[A-Za-z0-9+/=_]{60,600}")).entropy(3.5),
    keyed("datadog-api-key", "Datadog", H, "Datadog API / Application Key", &["datadog", "dd_api", "dd_app"],
        r"datadog|dd_api|dd_app", "[a-f0-9]{32}(?:[a-f0-9]{8})?"),
    raw("sonarqube-token", "SonarQube", H, "SonarQube Token", &["squ_", "sqp_", "sqa_"],
        tok!(r"sq[upa]_[a-f0-9]{40}")).entropy(3.0),
    raw("buildkite-agent-token", "Buildkite", H, "Buildkite API Access Token", &["bkua_"],
        tok!(r"bkua_[a-f0-9]{40}")).entropy(3.0),
    raw("circleci-pat", "CircleCI", H, "CircleCI Personal API Token", &["CCIPAT_"],
        tok!(r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}")).entropy(3.0),
    keyed("snyk-api-token", "Snyk", H, "Snyk API Token", &["snyk"], "snyk",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    keyed("okta-api-token", "Okta", H, "Okta API Token", &["okta"], "okta", r"00[A-Za-z0-9_\-]{40}")
        .entropy(3.5),
    keyed("algolia-api-key", "Algolia", H, "Algolia Admin API Key", &["algolia"], "algolia", "[a-f0-9]{32}"),
    raw("postman-api-token", "Postman", M, "Postman API token", &["PMAK-"],
        tok!(r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}")).entropy(3.0),
    raw("linear-api-token", "Linear", M, "Linear API token", &["lin_api_"],
        tok!(r"lin_api_[a-zA-Z0-9]{40}")).entropy(3.5),
    keyed("linear-client-secret", "Linear", M, "Linear client secret/ID", &["linear"], "linear", "[a-f0-9]{32}"),
    raw("notion-integration-token", "Notion", H, "Notion Integration Token", &["ntn_"],
        tok!(r"ntn_[0-9]{11}[A-Za-z0-9]{35}")).entropy(3.5),
    raw("airtable-pat", "Airtable", H, "Airtable Personal Access Token", &["pat"],
        tok!(r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}")).entropy(3.5),
    raw("prefect-api-key", "Prefect", H, "Prefect API Key", &["pnu_"], tok!(r"pnu_[A-Za-z0-9]{36}"))
        .entropy(3.5),
    raw("readme-api-token", "ReadMe", M, "ReadMe API Token", &["rdme_"], tok!(r"rdme_[a-z0-9]{70}"))
        .entropy(3.5),
    raw("infracost-api-token", "Infracost", M, "Infracost API Token", &["ico-"],
        tok!(r"ico-[A-Za-z0-9]{32}")).entropy(3.5),
    raw("harness-api-key", "Harness", H, "Harness Access Token", &["pat.", "sat."],
        tok!(r"(?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}")).entropy(3.5),
    raw("frameio-api-token", "Frameio", L, "Frame.io API token", &["fio-u-"],
        tok!(r"fio-u-[a-zA-Z0-9\-_=]{64}")).entropy(3.5),
    raw("easypost-api-token", "Easypost", L, "EasyPost API token", &["EZAK", "EZTK"],
        tok!(r"EZ[AT]K[a-zA-Z0-9]{54}")).entropy(3.5),
    raw("duffel-api-token", "Duffel", L, "Duffel API token", &["duffel_test_", "duffel_live_"],
        tok!(r"duffel_(?:test|live)_[a-zA-Z0-9_\-=]{43}")).entropy(3.5),
    raw("shippo-api-token", "Shippo", L, "Shippo API token", &["shippo_live_", "shippo_test_"],
        tok!(r"shippo_(?:live|test)_[a-f0-9]{40}")).entropy(3.0),
    raw("sendgrid-api-token", "SendGrid", M, "SendGrid API token", &["SG."],
        tok!(r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}")).entropy(3.5),
    raw("sendinblue-api-token", "Sendinblue", L, "Sendinblue API token", &["xkeysib-", "xsmtpsib-"],
        tok!(r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[a-zA-Z0-9]{16}")).entropy(3.0),
    keyed("mailgun-token", "Mailgun", M, "Mailgun private API token", &["mailgun"], "mailgun",
        "(?:pub)?key-[a-f0-9]{32}"),
    keyed("mailgun-signing-key", "Mailgun", M, "Mailgun webhook signing key", &["mailgun"], "mailgun",
        "[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}"),
    raw("mailchimp-api-key", "Mailchimp", M, "Mailchimp API key", &["-us"],
        tok!(r"[a-f0-9]{32}-us[0-9]{1,2}")).entropy(3.0),
    keyed("messagebird-api-token", "MessageBird", M, "MessageBird API token", &["messagebird", "message_bird"],
        r"message_?bird", "[a-z0-9]{25}"),
    keyed("messagebird-client-id", "MessageBird", M, "MessageBird API client ID",
        &["messagebird", "message_bird"], r"message_?bird", "[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}"),
    raw("twilio-api-key", "Twilio", M, "Twilio API Key", &["SK"], tok!(r"SK[0-9a-fA-F]{32}"))
        .entropy(3.3),
    keyed("lob-api-key", "Lob", L, "Lob API Key", &["lob"], "lob", "(?:live|test)_[a-f0-9]{35}"),
    keyed("lob-pub-api-key", "Lob", L, "Lob Publishable API Key", &["lob"], "lob",
        "(?:test|live)_pub_[a-f0-9]{31}"),
    raw("mapbox-api-token", "Mapbox", M, "Mapbox API token", &["pk.", "sk."],
        tok!(r"[ps]k\.eyJ[a-zA-Z0-9_\-]{50,100}\.[a-zA-Z0-9_\-]{22}")).entropy(3.5),
    keyed("contentful-delivery-api-token", "ContentfulDelivery", L, "Contentful delivery API token",
        &["contentful"], "contentful", r"[a-z0-9\-=_]{43}"),
    keyed("beamer-api-token", "Beamer", L, "Beamer API token", &["beamer"], "beamer", r"b_[a-z0-9=_\-]{44}"),
    keyed("asana-client-id", "Asana", M, "Asana Client ID", &["asana"], "asana", "[0-9]{16}").entropy(2.5),
    keyed("asana-client-secret", "Asana", M, "Asana Client Secret", &["asana"], "asana", "[a-z0-9]{32}"),
    keyed("adobe-client-id", "Adobe", L, "Adobe Client ID (Oauth Web)", &["adobe"], "adobe", "[a-f0-9]{32}"),
    raw("adobe-client-secret", "Adobe", L, "Adobe Client Secret", &["p8e-"],
        tok!(r"p8e-[a-zA-Z0-9]{32}")).entropy(3.0),
    keyed("facebook-token", "Facebook", L, "Facebook token", &["facebook"], "facebook", "[a-f0-9]{32}"),
    raw("facebook-access-token", "Facebook", H, "Facebook Page / User Access Token", &["EAAC", "EAAB"],
        tok!(r"EAA[BC][a-zA-Z0-9]{100,250}")).entropy(4.0),
    keyed("twitter-token", "Twitter", L, "Twitter token", &["twitter"], "twitter", "[a-f0-9]{35,44}"),
    raw("twitter-bearer-token", "Twitter", H, "Twitter / X Bearer Token", &["AAAAAAAAAAAAAAAAAAAAA"],
        tok!(r"A{22}[A-Za-z0-9%]{80,120}")).entropy(3.5),
    keyed("linkedin-client-secret", "LinkedIn", L, "LinkedIn Client secret", &["linkedin", "linked_in"],
        r"linked_?in", "[a-z]{16}"),
    keyed("linkedin-client-id", "LinkedIn", L, "LinkedIn Client ID", &["linkedin", "linked_in"],
        r"linked_?in", "[a-z0-9]{14}"),
    keyed("twitch-api-token", "Twitch", L, "Twitch API token", &["twitch"], "twitch", "[a-z0-9]{30}"),
    keyed("typeform-api-token", "Typeform", L, "Typeform API token", &["typeform", "tfp_"], "typeform",
        r"tfp_[a-z0-9\-_.=]{59}"),
    keyed("hubspot-api-token", "HubSpot", L, "HubSpot API token", &["hubspot"], "hubspot",
        "[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}"),
    raw("hubspot-private-app-token", "HubSpot", H, "HubSpot Private App Token", &["pat-na1-", "pat-eu1-"],
        tok!(r"pat-(?:na|eu)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
    keyed("intercom-api-token", "Intercom", L, "Intercom API token", &["intercom"], "intercom", "[a-z0-9=_]{60}"),
    keyed("intercom-client-secret", "Intercom", L, "Intercom client secret/ID", &["intercom"], "intercom",
        "[a-h0-9]{8}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{4}-[a-h0-9]{12}"),
    keyed("ionic-api-token", "Ionic", M, "Ionic API token", &["ionic"], "ionic", "ion_[a-z0-9]{42}"),
    keyed("dropbox-api-secret", "Dropbox", H, "Dropbox API secret/key", &["dropbox"], "dropbox", "[a-z0-9]{15}"),
    raw("dropbox-short-lived-api-token", "Dropbox", H, "Dropbox short lived API token", &["sl."],
        tok!(r"sl\.[A-Za-z0-9_\-]{130,152}")).entropy(3.5),
    keyed("dropbox-long-lived-api-token", "Dropbox", H, "Dropbox long lived API token", &["dropbox"],
        "dropbox", r"[a-z0-9]{11}AAAAAAAAAA[a-z0-9\-_=]{43}"),
    keyed("fastly-api-token", "Fastly", M, "Fastly API token", &["fastly"], "fastly", r"[a-z0-9\-=_]{32}"),
    raw("age-secret-key", "Age", M, "Age secret key", &["AGE-SECRET-KEY-1"],
        r"AGE-SECRET-KEY-1(?P<secret>[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})"),
    raw("yandex-api-key", "Yandex", H, "Yandex Cloud API Key / IAM token", &["AQVN", "t1."],
        tok!(r"(?:AQVN[A-Za-z0-9_\-]{35,38}|t1\.[A-Z0-9a-z_\-]{80,120}={0,2}\.[A-Z0-9a-z_\-]{86}={0,2})"))
        .entropy(3.5),
    raw("1password-service-account-token", "1Password", C, "1Password Service Account Token", &["ops_eyJ"],
        tok!(r"ops_eyJ[a-zA-Z0-9+/]{250,1200}={0,3}")).entropy(3.5),
    // ---- AI providers
    raw("openai-project-api-key", "OpenAI", C, "OpenAI Project API Key", &["T3BlbkFJ"],
        tok!(r"sk-proj-[A-Za-z0-9_\-]{20,100}T3BlbkFJ[A-Za-z0-9_\-]{20,100}")).entropy(3.5),
    raw("openai-service-account-key", "OpenAI", C, "OpenAI Service Account Key", &["T3BlbkFJ"],
        tok!(r"sk-svcacct-[A-Za-z0-9_\-]{20,100}T3BlbkFJ[A-Za-z0-9_\-]{20,100}")).entropy(3.5),
    raw("openai-admin-api-key", "OpenAI", C, "OpenAI Admin API Key", &["T3BlbkFJ"],
        tok!(r"sk-admin-[A-Za-z0-9_\-]{20,100}T3BlbkFJ[A-Za-z0-9_\-]{20,100}")).entropy(3.5),
    raw("openai-legacy-api-key", "OpenAI", H, "OpenAI Legacy User API Key", &["T3BlbkFJ"],
        tok!(r"sk-(?:None-)?[A-Za-z0-9]{20,64}T3BlbkFJ[A-Za-z0-9]{20,64}")).entropy(3.5),
    raw("anthropic-api-key", "Anthropic", C, "Anthropic API Key", &["sk-ant-api"],
        tok!(r"sk-ant-api0[0-9]-[A-Za-z0-9_\-]{93}AA")).entropy(3.5),
    raw("anthropic-admin-api-key", "Anthropic", C, "Anthropic Admin API Key", &["sk-ant-admin"],
        tok!(r"sk-ant-admin0[0-9]-[A-Za-z0-9_\-]{93}AA")).entropy(3.5),
    raw("hugging-face-access-token", "HuggingFace", C, "Hugging Face Access Token", &["hf_"],
        tok!(r"hf_[A-Za-z0-9]{34,40}")).entropy(3.5),
    raw("hugging-face-org-token", "HuggingFace", H, "Hugging Face Organization API Token", &["api_org_"],
        tok!(r"api_org_[A-Za-z0-9]{34}")).entropy(3.5),
    raw("openrouter-api-key", "OpenRouter", H, "OpenRouter API Key", &["sk-or-v1-"],
        tok!(r"sk-or-v1-[a-f0-9]{64}")).entropy(3.0),
    raw("groq-api-key", "Groq", H, "Groq API Key", &["gsk_"], tok!(r"gsk_[A-Za-z0-9]{52}")).entropy(3.5),
    raw("perplexity-api-key", "Perplexity", H, "Perplexity API Key", &["pplx-"],
        tok!(r"pplx-[A-Za-z0-9]{48}")).entropy(3.5),
    raw("replicate-api-token", "Replicate", H, "Replicate API Token", &["r8_"],
        tok!(r"r8_[A-Za-z0-9]{37}")).entropy(3.5),
    raw("xai-api-key", "xAI", H, "xAI (Grok) API Key", &["xai-"], tok!(r"xai-[A-Za-z0-9]{80}"))
        .entropy(3.5),
    raw("langsmith-api-key", "LangChain", H, "LangSmith API Key", &["lsv2_"],
        tok!(r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}")).entropy(3.0),
    keyed("cohere-api-key", "Cohere", H, "Cohere API Key", &["cohere"], "cohere", "[A-Za-z0-9]{40}")
        .entropy(3.5),
    keyed("mistral-api-key", "Mistral", H, "Mistral AI API Key", &["mistral"], "mistral", "[A-Za-z0-9]{32}")
        .entropy(3.5),
    // ---- Private keys and tokens with structure
    raw("private-key", "AsymmetricPrivateKey", H, "Asymmetric Private Key", &["PRIVATE KEY"],
        r"-----BEGIN[ A-Z0-9]{0,32}PRIVATE KEY(?: BLOCK)?-----[ \t]{0,4}(?:\r?\n|(?:\\r)?\\n)(?:[A-Za-z0-9\-]{1,40}:[^\n\\]{0,200}(?:\r?\n|(?:\\r)?\\n)){0,8}(?:\r?\n|(?:\\r)?\\n)?(?P<secret>[A-Za-z0-9+/=]{16,128})")
        .block("-----END"),
    raw("putty-private-key", "AsymmetricPrivateKey", H, "PuTTY Private Key", &["PuTTY-User-Key-File-"],
        r"PuTTY-User-Key-File-[23]:[ \t]{0,4}(?:ssh-rsa|ssh-dss|ssh-ed25519|ssh-ed448|ecdsa-sha2-nistp(?:256|384|521))[ \t]{0,4}\r?\n(?P<secret>Encryption:[^\n]{1,40})")
        .requires(&["Private-Lines:"]).block("Private-MAC:"),
    // `eyJ` alone turns up in any long base64 run (certificates, bundles) and this regex,
    // with its 8 KB payload bound, takes milliseconds to build; every JWT also holds `.eyJ`
    // (the payload is a JSON object too), and a file without it cannot match.
    raw("jwt-token", "JWT", M, "JWT token", &["eyJ"],
        tok!(r"eyJ[A-Za-z0-9_\-]{10,1024}\.eyJ[A-Za-z0-9_\-]{10,8192}\.[A-Za-z0-9_\-]{10,1024}"))
        .requires(&[".eyJ"]).check(Check::Jwt).skip_docs(),
    // ---- Generic credentials: dropped where a specific rule found the same secret
    raw("url-credentials", "Generic", H, "Credentials in a URL", &["://"],
        r"(?i)(?:^|[^a-z0-9+.\-])(?:https?|ftps?|sftp|ssh|git|svn|smtps?|imaps?|ldaps?|amqps?|mqtt|rediss?|postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|mssql|sqlserver|jdbc:[a-z]{2,12}|oracle|couchdb|nats|kafka)://[^\s:/@\x22'<>`{}$]{1,64}:(?P<secret>[^\s:/@\x22'<>`{}$]{6,128})@[a-z0-9][a-z0-9.\-]{0,252}")
        .entropy(2.5).generic(),
    raw("netrc-password", "Generic", H, "Password in a .netrc entry", &["machine"],
        r"(?m)^[ \t]{0,8}machine[ \t]{1,8}[^\s]{1,253}[ \t\r\n]{1,16}login[ \t]{1,8}[^\s]{1,128}[ \t\r\n]{1,16}password[ \t]{1,8}(?P<secret>[^\s]{6,128})")
        .entropy(2.5).generic(),
    raw("maven-settings-password", "Generic", M, "Password in a Maven settings.xml server", &["<password>"],
        r"<password>(?P<secret>[^<$\s{}]{6,256})</password>").entropy(3.0).generic(),
    // The name before the keyword runs back to the nearest byte that is not a letter or
    // digit (`.`, `_` and `-` included). The same names match as with `[a-z0-9_.\-]` there,
    // but that class would let every `.` or `_` of a dotted name start another way to the
    // keyword, and the regex's lazy DFA would need a state for each set of them: half the
    // search time of this rule on real file trees. generic-api-key has the same form.
    raw("password-assignment", "Generic", H, "Password assigned in source or config",
        &["password", "passwd", "passphrase", "pass_word"],
        r#"(?i)(?:^|[^a-z0-9])[a-z0-9]{0,30}(?:password|passwd|passphrase|pass_word)[a-z0-9_.\-]{0,20}["'`]?[ \t]{0,4}(?:=|:=|:|=>)[ \t]{0,4}["'](?P<secret>[^\x22'`\s$<>{}()\\]{8,128})["']"#)
        .entropy(3.0).generic(),
    raw("password-in-env", "Generic", H, "Secret in an environment variable",
        &["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY",
          "ACCESSKEY", "PRIVATE_KEY", "PRIVATEKEY", "CREDENTIAL"],
        r#"(?:^|[ \t;&|])(?:export[ \t]{1,4})?[A-Z0-9_]{0,40}(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[0-9]{0,2}=["']?(?P<secret>[^\s\x22'$`;&|<>/~\\][^\s\x22'`;&|<>\\]{5,255})"#)
        .entropy(3.0).generic(),
    raw("generic-api-key", "Generic", M, "Generic API key or secret assignment",
        &["apikey", "api_key", "api.key", "api-key", "apisecret", "api_secret", "api.secret",
          "api-secret", "clientsecret", "client_secret", "client.secret", "client-secret",
          "secretkey", "secret_key", "secret.key", "secret-key", "accesstoken", "access_token",
          "access.token", "access-token", "authtoken", "auth_token", "auth.token", "auth-token",
          "appsecret", "app_secret", "app.secret", "app-secret", "privatetoken", "private_token",
          "private.token", "private-token"],
        r#"(?i)(?:^|[^a-z0-9])[a-z0-9]{0,20}(?:api[_.\-]?key|apikey|api[_.\-]?secret|client[_.\-]?secret|secret[_.\-]?key|access[_.\-]?token|auth[_.\-]?token|app[_.\-]?secret|private[_.\-]?token)["'`]?[ \t]{0,4}(?:=|:=|:|=>)[ \t]{0,4}["'](?P<secret>[A-Za-z0-9_\-+/=.~]{16,200})["']"#)
        .entropy(3.7).generic(),
];

/// Built-in allow rules. Path rules skip whole files; regex rules drop findings whose secret
/// they match.
pub(crate) fn builtin_allow_rules() -> Vec<AllowSpec> {
    let a = |id: &str, description: &str, path: Option<&str>, regex: Option<&str>| AllowSpec {
        id: id.into(),
        description: description.into(),
        path: path.map(str::to_string),
        glob: None,
        regex: regex.map(str::to_string),
    };
    vec![
        a(
            "tests",
            "Test files, fixtures and mock servers: their credentials are made up for the tests",
            Some(
                r"(?i)(?:^|/)(?:tests?|testdata|test-data|test_data|testing|__tests__|__mocks__|fixtures?|spec|mocks?|fakes?|dummy[a-z]{0,16})/|(?:^|/)test[^/]{0,64}$|[_.\-]tests?(?:[_.\-][^/]{0,64})?$",
            ),
            None,
        ),
        a(
            "examples",
            "Example files and directories",
            Some(
                r"(?i)(?:^|/)(?:examples?|samples?)/|\.(?:example|sample|template|dist)(?:\.[a-z0-9]{1,8})?$",
            ),
            None,
        ),
        a(
            "placeholders",
            "Placeholder and documentation values (EXAMPLE, xxxx, <token>, ${VAR}, changeme, file names, RFC examples)",
            None,
            Some(
                r"(?i)example|sample|dummy|placeholder|changeme|change[_\-]me|your[_\-]|xxxxx|\*{3}|\.{3}|[<>]|\$\{|\{\{|%\(|%s|redacted|insert[_\-]|replace[_\-]|enter[_\-]|foobar|fake|password|passw0rd|passphrase|secret|token|^-{1,2}[a-z]|\.(?:json|ya?ml|pem|key|crt|txt|conf|cfg|ini|env|p12|pfx|jks)$|^(?:admin|root|none|null|nil|true|false|undefined|default|test|testing|abc(?:def)?123|12345678|123456789|qwerty|letmein)[0-9]{0,4}$|^(?:2YotnFZFEjr1zCsicMWpAA|tGzv3JOkF0XG5Qx2TlKWIA)$",
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{MAX_MATCH_LEN, Origin, Rule};
    use std::collections::HashSet;

    #[test]
    fn every_builtin_rule_compiles_and_is_unique() {
        let mut ids = HashSet::new();
        for b in BUILTIN_RULES {
            assert!(ids.insert(b.id), "duplicate rule id {}", b.id);
            assert!(!b.keywords.is_empty(), "{} has no keyword", b.id);
            let rule =
                Rule::compile(b.spec(), None, Origin::Builtin).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                rule.matcher().secret_idx.is_some(),
                "{} has no secret group",
                b.id
            );
            for k in 0..b.keywords.len() {
                let (before, after) = rule.reach_around(k).expect("built-in rules use windows");
                assert!(before.max(after) <= MAX_MATCH_LEN, "{}", b.id);
            }
        }
        assert!(
            BUILTIN_RULES.len() >= 110,
            "only {} rules",
            BUILTIN_RULES.len()
        );
    }
}
