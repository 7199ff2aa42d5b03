//! Every built-in rule: a true positive and a near miss, generated from the rule's format.

mod common;

use common::expand;
use osprey_secrets::{Scanner, builtin_scanner};
use std::collections::BTreeSet;

/// (rule id, true positive, near miss). `«...»` placeholders are expanded by `common::expand`.
const CASES: &[(&str, &str, &str)] = &[
    (
        "aws-access-key-id",
        "aws_access_key_id = AKIA«3:16»",
        "aws_access_key_id = AKIA«3:15»",
    ),
    (
        "aws-secret-access-key",
        "AWS_SECRET_ACCESS_KEY=«b:40»",
        "AWS_SECRET_ACCESS_KEY=«b:39»",
    ),
    (
        "aws-session-token",
        "aws_session_token = IQoJb3JpZ2luX2Vj«b:200»",
        "aws_session_token = IQoJb3JpZ2luX2Vj«b:50»",
    ),
    (
        "aws-mws-key",
        "amzn.mws.«UUID»",
        "amzn.mws.«h:8»-«h:4»-«h:4»-«h:12»",
    ),
    (
        "github-pat",
        "GITHUB_TOKEN=ghp_«GH»",
        "GITHUB_TOKEN=ghp_«GHBAD»",
    ),
    ("github-oauth", "token: gho_«GH»", "token: gho_«GHBAD»"),
    ("github-app-token", "token: ghs_«GH»", "token: ghu_«GHBAD»"),
    ("github-refresh-token", "ghr_«n:76»", "ghr_«n:70»"),
    (
        "github-fine-grained-pat",
        "github_pat_«n:22»_«n:59»",
        "github_pat_«n:22»_«n:50»",
    ),
    ("gitlab-pat", "glpat-«n:20»", "glpat-«n:12»"),
    (
        "gitlab-pipeline-trigger-token",
        "glptt-«h:40»",
        "glptt-«h:30»",
    ),
    (
        "gitlab-runner-registration-token",
        "GR1348941«n:20»",
        "GR1348941«n:10»",
    ),
    ("gitlab-runner-auth-token", "glrt-«n:20»", "glrt-«n:12»"),
    ("gitlab-deploy-token", "gldt-«n:20»", "gldt-«n:12»"),
    ("gitlab-oauth-app-secret", "gloas-«h:64»", "gloas-«h:60»"),
    ("gitlab-feed-token", "glft-«n:20»", "glft-«n:10»"),
    (
        "gitlab-cicd-job-token",
        "glcbt-«h:2»_«n:20»",
        "glcbt-_«n:20»",
    ),
    ("gitlab-incoming-mail-token", "glimt-«n:25»", "glimt-«n:20»"),
    ("gitlab-scim-token", "glsoat-«n:20»", "glsoat-«n:12»"),
    (
        "gitlab-feature-flag-client-token",
        "glffct-«n:20»",
        "glffct-«n:10»",
    ),
    ("gitlab-agent-token", "glagent-«n:50»", "glagent-«n:40»"),
    (
        "bitbucket-client-id",
        "bitbucket_client_id = \"«l:32»\"",
        "bitbucket_client_id = \"«l:31»\"",
    ),
    (
        "bitbucket-client-secret",
        "BITBUCKET_SECRET: \"«l:64»\"",
        "BITBUCKET_SECRET: \"«l:63»\"",
    ),
    ("bitbucket-app-password", "ATBB«n:32»", "ATBB«n:20»"),
    (
        "atlassian-api-token",
        "jira_api_token = «l:24»",
        "jira_api_token = «l:20»",
    ),
    ("atlassian-api-token-v2", "ATATT3«n:186»", "ATATT3«n:100»"),
    (
        "slack-access-token",
        "xoxb-«d:13»-«d:13»-«n:24»",
        "xoxb-«d:3»-«n:24»",
    ),
    (
        "slack-app-token",
        "xapp-1-«U:11»-«d:13»-«h:64»",
        "xapp-1-«U:11»-«d:13»-«h:20»",
    ),
    (
        "slack-config-access-token",
        "xoxe.xoxp-1-«n:160»",
        "xoxe.xoxp-1-«n:100»",
    ),
    (
        "slack-config-refresh-token",
        "xoxe-1-«n:146»",
        "xoxe-1-«n:100»",
    ),
    (
        "slack-web-hook",
        "https://hooks.slack.com/services/T«U:8»/B«U:10»/«n:24»",
        "https://hooks.slack.com/services/T«U:8»/B«U:4»",
    ),
    (
        "discord-webhook",
        "https://discord.com/api/webhooks/«d:18=»/«n:68»",
        "https://discord.com/api/webhooks/«d:18»/«n:30»",
    ),
    (
        "discord-api-token",
        "discord_api_key = \"«h:64»\"",
        "discord_api_key = \"«h:60»\"",
    ),
    (
        "discord-client-id",
        "discord_client_id = \"«d:18»\"",
        "discord_client_id = \"«d:17»\"",
    ),
    (
        "discord-client-secret",
        "discord_client_secret = \"«l:32»\"",
        "discord_client_secret = \"«l:31»\"",
    ),
    (
        "discord-bot-token",
        "DISCORD_BOT_TOKEN = \"M«n:23».«n:6».«n:27»\"",
        "DISCORD_BOT_TOKEN = \"M«n:23».«n:6»\"",
    ),
    (
        "telegram-bot-token",
        "TELEGRAM_TOKEN=«d:9»:AA«n:33»",
        "TELEGRAM_TOKEN=«d:9»:AB«n:33»",
    ),
    (
        "microsoft-teams-webhook",
        "https://acme.webhook.office.com/webhookb2/«UUID=»@«UUID=»/IncomingWebhook/«h:32»/«UUID=»",
        "https://acme.webhook.office.com/webhookb2/«UUID»@«UUID»",
    ),
    (
        "zapier-webhook",
        "https://hooks.zapier.com/hooks/catch/«d:7»/«l:8»",
        "https://hooks.zapier.com/hooks/catch/«l:7»/",
    ),
    (
        "stripe-publishable-token",
        "pk_live_«n:24»",
        "pk_live_«n:5»",
    ),
    ("stripe-secret-token", "sk_live_«n:24»", "sk_live_«n:5»"),
    ("stripe-restricted-key", "rk_live_«n:24»", "rk_live_«n:5»"),
    ("stripe-webhook-secret", "whsec_«n:32»", "whsec_«n:20»"),
    ("square-access-token", "sq0atp-«n:22»", "sq0atp-«n:15»"),
    ("square-oauth-secret", "sq0csp-«n:43»", "sq0csp-«n:30»"),
    (
        "braintree-access-token",
        "access_token$production$«l:16=»$«h:32»",
        "access_token$production$«l:16»$«h:20»",
    ),
    (
        "plaid-access-token",
        "access-sandbox-«UUID»",
        "access-sandbox-«h:8»-«h:4»",
    ),
    ("shopify-token", "shpat_«h:32»", "shpat_«h:20»"),
    (
        "flutterwave-public-key",
        "FLWSECK_TEST-«h:32»-X",
        "FLWSECK_TEST-«h:20»-X",
    ),
    (
        "flutterwave-enc-key",
        "FLWSECK_TEST«h:12»",
        "FLWSECK_TEST«h:6»",
    ),
    (
        "gocardless-api-token",
        "gocardless_token = \"live_«n:40»\"",
        "gocardless_token = \"live_«n:30»\"",
    ),
    (
        "finicity-client-secret",
        "finicity_client_secret = \"«n:20»\"",
        "finicity_client_secret = \"«n:19»\"",
    ),
    (
        "finicity-api-token",
        "finicity_api_token = \"«h:32»\"",
        "finicity_api_token = \"«h:31»\"",
    ),
    (
        "npm-access-token",
        "//registry.npmjs.org/:_authToken=npm_«n:36»",
        "//registry.npmjs.org/:_authToken=npm_«n:30»",
    ),
    (
        "pypi-upload-token",
        "password = pypi-AgEIcHlwaS5vcmc«n:80»",
        "password = pypi-AgEIcHlwaS5vcmc«n:20»",
    ),
    ("rubygems-api-token", "rubygems_«h:48»", "rubygems_«h:40»"),
    ("nuget-api-key", "oy2«l:43»", "oy2«l:40»"),
    ("clojars-api-token", "CLOJARS_«n:60»", "CLOJARS_«n:50»"),
    (
        "private-packagist-token",
        "packagist_uut_«h:68»",
        "packagist_uut_«h:60»",
    ),
    (
        "dockerconfig-secret",
        "  .dockerconfigjson: ew«b:60»",
        "  .dockerconfigjson: \"\"",
    ),
    (
        "docker-config-auth",
        "{\"auths\": {\"registry.acme.io\": {\"auth\": \"«BASIC»\"}}}",
        "{\"auths\": {\"registry.acme.io\": {\"auth\": \"«BASICNOCOLON»\"}}}",
    ),
    ("dockerhub-pat", "dckr_pat_«n:27»", "dckr_pat_«n:15»"),
    ("jfrog-api-key", "AKCp«n:69»", "AKCp«n:60»"),
    (
        "jfrog-identity-token",
        "cmVmdGtuOjAxOj«n:50»",
        "cmVmdGtuOjAxOj«n:40»",
    ),
    (
        "npmrc-auth",
        "//npm.acme.io/:_authToken=«n:36»",
        "//npm.acme.io/:_authToken=${NPM_TOKEN}",
    ),
    (
        "gcp-service-account",
        "{\"type\": \"service_account\", \"private_key_id\": \"«h:40»\"}",
        "{\"type\": \"authorized_user\", \"private_key_id\": \"«h:40»\"}",
    ),
    ("google-api-key", "AIza«n:35»", "AIza«n:30»"),
    ("gcp-oauth-client-secret", "GOCSPX-«n:28»", "GOCSPX-«n:20»"),
    ("gcp-oauth-access-token", "ya29.«n:100»", "ya29.«n:20»"),
    (
        "azure-storage-account-key",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=«b:86»==;EndpointSuffix=core.windows.net",
        "AccountKey=«b:40»",
    ),
    (
        "azure-cosmosdb-account-key",
        "AccountEndpoint=https://acme.documents.azure.com:443/;AccountKey=«b:86»==;",
        "AccountEndpoint=https://acme.documents.acme.io:443/;AccountKey=«b:86»==;",
    ),
    (
        "azure-sas-token",
        "https://acme.blob.core.windows.net/c/o?sv=2024-08-04&ss=b&srt=co&sp=rl&se=2026-12-31T23:59:00Z&sig=«n:50»%3D",
        "https://acme.blob.core.windows.net/c/o?ss=b&sig=«n:50»",
    ),
    (
        "azure-entra-id-client-secret",
        "client_secret=«n:3»8Q~«n:34»",
        "client_secret=«n:3»8Q~«n:20»",
    ),
    (
        "azure-app-configuration-connection-string",
        "Endpoint=https://acme.azconfig.io;Id=«n:4»-l0-s0:«n:20=»;Secret=«b:43»=",
        "Endpoint=https://acme.azure.com;Id=abc;Secret=«b:43»=",
    ),
    (
        "azure-service-bus-connection-string",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=«b:43»=",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=«b:20»=",
    ),
    (
        "azure-devops-pat",
        "AZURE_DEVOPS_PAT=«s:52»",
        "AZURE_DEVOPS_PAT=«s:40»",
    ),
    (
        "azure-ai-services-key",
        "AZURE_OPENAI_API_KEY=«h:32»",
        "AZURE_OPENAI_API_KEY=«h:31»",
    ),
    ("alibaba-access-key-id", "LTAI«n:20»", "LTAI«n:8»"),
    (
        "alibaba-secret-key",
        "alibaba_secret = \"«l:30»\"",
        "alibaba_secret = \"«l:29»\"",
    ),
    ("tencent-cloud-secret-id", "AKID«n:32»", "AKID«n:20»"),
    ("digitalocean-pat", "dop_v1_«h:64»", "dop_v1_«h:50»"),
    (
        "heroku-api-key",
        "HEROKU_API_KEY=\"«UUID»\"",
        "HEROKU_API_KEY=\"«h:8»-«h:4»\"",
    ),
    ("heroku-api-key-v2", "HRKU-«n:60»", "HRKU-«n:40»"),
    (
        "hashicorp-tf-api-token",
        "«n:14».atlasv1.«n:64»",
        "«n:14».atlasv1.«n:30»",
    ),
    ("vault-service-token", "hvs.«n:95»", "hvs.«n:24»"),
    ("vault-batch-token", "hvb.«n:140»", "hvb.«n:40»"),
    ("doppler-api-token", "dp.pt.«n:43»", "dp.pt.«n:30»"),
    ("pulumi-api-token", "pul-«h:40»", "pul-«h:30»"),
    ("databricks-api-token", "dapi«h:32»", "dapi«h:20»"),
    (
        "planetscale-password",
        "pscale_pw_«n:43»",
        "pscale_pw_«n:30»",
    ),
    (
        "planetscale-api-token",
        "pscale_tkn_«n:43»",
        "pscale_tkn_«n:30»",
    ),
    (
        "planetscale-oauth-token",
        "pscale_oauth_«n:40»",
        "pscale_oauth_«n:20»",
    ),
    ("fly-io-access-token", "fo1_«n:43»", "fo1_«n:30»"),
    (
        "tailscale-key",
        "tskey-auth-«n:12»-«n:32»",
        "tskey-auth-«n:12»",
    ),
    ("supabase-access-token", "sbp_«h:40»", "sbp_«h:30»"),
    ("scalingo-api-token", "tk-us-«n:48»", "tk-us-«n:30»"),
    (
        "cloudflare-origin-ca-key",
        "v1.0-«h:24»-«h:146»",
        "v1.0-«h:24»-«h:100»",
    ),
    (
        "cloudflare-api-token",
        "CLOUDFLARE_API_TOKEN=«n:40»",
        "CLOUDFLARE_API_TOKEN=«n:30»",
    ),
    (
        "cloudflare-global-api-key",
        "cloudflare_api_key: «h:37»",
        "cloudflare_api_key: «h:30»",
    ),
    (
        "kubeconfig-client-key",
        "    client-key-data: «b:200»",
        "    client-key-data: «b:20»",
    ),
    ("grafana-api-token", "eyJrIjoi«n:80»", "eyJrIjoi«n:40»"),
    ("grafana-cloud-api-token", "glc_«b:80»", "glc_«b:20»"),
    (
        "grafana-service-account-token",
        "glsa_«n:32»_«h:8»",
        "glsa_«n:32»",
    ),
    ("new-relic-user-api-key", "NRAK-«U:27»", "NRAK-«U:20»"),
    (
        "new-relic-user-api-id",
        "newrelic_api_id = \"«U:64»\"",
        "newrelic_api_id = \"«U:60»\"",
    ),
    ("new-relic-browser-api-token", "NRJS-«h:19»", "NRJS-«h:10»"),
    ("new-relic-insert-key", "NRII-«n:32»", "NRII-«n:20»"),
    ("new-relic-license-key", "«h:36»NRAL", "«h:30»NRAL"),
    (
        "dynatrace-api-token",
        "dt0c01.«n:24».«n:64»",
        "dt0c01.«n:24».«n:30»",
    ),
    ("sentry-user-token", "sntryu_«h:64»", "sntryu_«h:40»"),
    ("sentry-org-token", "sntrys_eyJ«b:100»", "sntrys_eyJ«b:20»"),
    ("datadog-api-key", "DD_API_KEY=«h:32»", "DD_API_KEY=«h:20»"),
    ("sonarqube-token", "sqp_«h:40»", "sqp_«h:30»"),
    ("buildkite-agent-token", "bkua_«h:40»", "bkua_«h:30»"),
    ("circleci-pat", "CCIPAT_«n:22»_«h:40»", "CCIPAT_«n:22»"),
    ("snyk-api-token", "SNYK_TOKEN=«UUID»", "SNYK_TOKEN=«h:8»"),
    (
        "okta-api-token",
        "okta_api_token: 00«n:40»",
        "okta_api_token: 00«n:30»",
    ),
    (
        "algolia-api-key",
        "ALGOLIA_ADMIN_KEY=«h:32»",
        "ALGOLIA_ADMIN_KEY=«h:20»",
    ),
    ("postman-api-token", "PMAK-«h:24»-«h:34»", "PMAK-«h:24»"),
    ("linear-api-token", "lin_api_«n:40»", "lin_api_«n:30»"),
    (
        "linear-client-secret",
        "LINEAR_CLIENT_SECRET=«h:32»",
        "LINEAR_CLIENT_SECRET=«h:20»",
    ),
    ("notion-integration-token", "ntn_«d:11»«n:35»", "ntn_«n:20»"),
    ("airtable-pat", "pat«n:14».«h:64»", "pat«n:14».«h:30»"),
    ("prefect-api-key", "pnu_«n:36»", "pnu_«n:20»"),
    ("readme-api-token", "rdme_«l:70»", "rdme_«l:40»"),
    ("infracost-api-token", "ico-«n:32»", "ico-«n:20»"),
    (
        "harness-api-key",
        "pat.«n:22».«h:24».«n:20»",
        "pat.«n:22».«h:24»",
    ),
    ("frameio-api-token", "fio-u-«n:64»", "fio-u-«n:40»"),
    ("easypost-api-token", "EZAK«n:54»", "EZAK«n:40»"),
    (
        "duffel-api-token",
        "duffel_test_«n:43»",
        "duffel_test_«n:30»",
    ),
    (
        "shippo-api-token",
        "shippo_live_«h:40»",
        "shippo_live_«h:30»",
    ),
    ("sendgrid-api-token", "SG.«n:22».«n:43»", "SG.«n:22»"),
    (
        "sendinblue-api-token",
        "xkeysib-«h:64»-«n:16»",
        "xkeysib-«h:64»",
    ),
    (
        "mailgun-token",
        "mailgun_api_key = \"key-«h:32»\"",
        "mailgun_api_key = \"key-«h:20»\"",
    ),
    (
        "mailgun-signing-key",
        "mailgun_signing_key = \"«h:32»-«h:8»-«h:8»\"",
        "mailgun_signing_key = \"«h:32»-«h:8»\"",
    ),
    ("mailchimp-api-key", "«h:32»-us20", "«h:20»-us20"),
    (
        "messagebird-api-token",
        "messagebird_key = \"«l:25»\"",
        "messagebird_key = \"«l:20»\"",
    ),
    (
        "messagebird-client-id",
        "message_bird_client_id = \"«UUID»\"",
        "message_bird_client_id = \"«h:8»\"",
    ),
    ("twilio-api-key", "SK«h:32»", "SK«h:20»"),
    (
        "lob-api-key",
        "lob_api_key = \"live_«h:35»\"",
        "lob_api_key = \"live_«h:20»\"",
    ),
    (
        "lob-pub-api-key",
        "lob_pub_key = \"test_pub_«h:31»\"",
        "lob_pub_key = \"test_pub_«h:20»\"",
    ),
    ("mapbox-api-token", "pk.eyJ«n:60».«n:22»", "pk.eyJ«n:60»"),
    (
        "contentful-delivery-api-token",
        "contentful_token = \"«n:43»\"",
        "contentful_token = \"«n:30»\"",
    ),
    (
        "beamer-api-token",
        "beamer_api_key = \"b_«n:44»\"",
        "beamer_api_key = \"b_«n:30»\"",
    ),
    (
        "asana-client-id",
        "asana_client_id = \"«d:16»\"",
        "asana_client_id = \"«d:15»\"",
    ),
    (
        "asana-client-secret",
        "asana_client_secret = \"«l:32»\"",
        "asana_client_secret = \"«l:31»\"",
    ),
    (
        "adobe-client-id",
        "adobe_client_id = \"«h:32»\"",
        "adobe_client_id = \"«h:31»\"",
    ),
    ("adobe-client-secret", "p8e-«n:32»", "p8e-«n:20»"),
    (
        "facebook-token",
        "facebook_app_secret = \"«h:32»\"",
        "facebook_app_secret = \"«h:31»\"",
    ),
    ("facebook-access-token", "EAAC«n:150»", "EAAC«n:50»"),
    (
        "twitter-token",
        "twitter_secret = \"«h:40»\"",
        "twitter_secret = \"«h:30»\"",
    ),
    (
        "twitter-bearer-token",
        "AAAAAAAAAAAAAAAAAAAAAA«n:100»",
        "AAAAAAAAAAAAAAAAAAAAAA«n:40»",
    ),
    (
        "linkedin-client-secret",
        "linkedin_client_secret = \"«a:16»\"",
        "linkedin_client_secret = \"«a:15»\"",
    ),
    (
        "linkedin-client-id",
        "linkedin_client_id = \"«l:14»\"",
        "linkedin_client_id = \"«l:13»\"",
    ),
    (
        "twitch-api-token",
        "twitch_api_token = \"«l:30»\"",
        "twitch_api_token = \"«l:29»\"",
    ),
    (
        "typeform-api-token",
        "typeform_api_token = tfp_«n:59»",
        "typeform_api_token = tfp_«n:40»",
    ),
    (
        "hubspot-api-token",
        "hubspot_api_key = \"«UUID»\"",
        "hubspot_api_key = \"«h:8»\"",
    ),
    (
        "hubspot-private-app-token",
        "pat-na1-«UUID»",
        "pat-na1-«h:8»",
    ),
    (
        "intercom-api-token",
        "intercom_access_token = \"«l:60»\"",
        "intercom_access_token = \"«l:50»\"",
    ),
    (
        "intercom-client-secret",
        "intercom_client_secret = \"«UUID»\"",
        "intercom_client_secret = \"«h:8»\"",
    ),
    (
        "ionic-api-token",
        "ionic_api_token = \"ion_«l:42»\"",
        "ionic_api_token = \"ion_«l:30»\"",
    ),
    (
        "dropbox-api-secret",
        "dropbox_app_secret = \"«l:15»\"",
        "dropbox_app_secret = \"«l:14»\"",
    ),
    ("dropbox-short-lived-api-token", "sl.«n:140»", "sl.«n:40»"),
    (
        "dropbox-long-lived-api-token",
        "dropbox_token = \"«l:11»AAAAAAAAAA«n:43»\"",
        "dropbox_token = \"«l:11»AAAAA«n:43»\"",
    ),
    (
        "fastly-api-token",
        "FASTLY_API_TOKEN=«n:32»",
        "FASTLY_API_TOKEN=«n:20»",
    ),
    (
        "age-secret-key",
        "AGE-SECRET-KEY-1«q:58»",
        "AGE-SECRET-KEY-1«q:40»",
    ),
    ("yandex-api-key", "AQVN«n:36»", "AQVN«n:20»"),
    (
        "1password-service-account-token",
        "ops_eyJ«b:300»",
        "ops_eyJ«b:100»",
    ),
    (
        "openai-project-api-key",
        "sk-proj-«n:74»T3BlbkFJ«n:74»",
        "sk-proj-«n:74»",
    ),
    (
        "openai-service-account-key",
        "sk-svcacct-«n:58»T3BlbkFJ«n:58»",
        "sk-svcacct-«n:58»",
    ),
    (
        "openai-admin-api-key",
        "sk-admin-«n:58»T3BlbkFJ«n:58»",
        "sk-admin-«n:10»T3BlbkFJ«n:58»",
    ),
    (
        "openai-legacy-api-key",
        "sk-«n:20»T3BlbkFJ«n:20»",
        "sk-«n:20»T3BlbkFI«n:20»",
    ),
    (
        "anthropic-api-key",
        "sk-ant-api03-«n:93»AA",
        "sk-ant-api03-«n:50»AA",
    ),
    (
        "anthropic-admin-api-key",
        "sk-ant-admin01-«n:93»AA",
        "sk-ant-admin01-«n:60»AA",
    ),
    ("hugging-face-access-token", "hf_«a:34»", "hf_«a:20»"),
    ("hugging-face-org-token", "api_org_«a:34»", "api_org_«a:20»"),
    ("openrouter-api-key", "sk-or-v1-«h:64»", "sk-or-v1-«h:40»"),
    ("groq-api-key", "gsk_«n:52»", "gsk_«n:40»"),
    ("perplexity-api-key", "pplx-«n:48»", "pplx-«n:40»"),
    ("replicate-api-token", "r8_«n:37»", "r8_«n:30»"),
    ("xai-api-key", "xai-«n:80»", "xai-«n:60»"),
    (
        "langsmith-api-key",
        "lsv2_pt_«h:32»_«h:10»",
        "lsv2_pt_«h:32»",
    ),
    (
        "cohere-api-key",
        "COHERE_API_KEY=«n:40»",
        "COHERE_API_KEY=«n:30»",
    ),
    (
        "mistral-api-key",
        "MISTRAL_API_KEY=«n:32»",
        "MISTRAL_API_KEY=«n:20»",
    ),
    (
        "private-key",
        "-----BEGIN RSA PRIVATE KEY-----\n«b:64»\n«b:64»\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----",
    ),
    (
        "putty-private-key",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\n«b:64»\nPrivate-Lines: 1\n«b:64»\nPrivate-MAC: «h:64»",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\n«b:64»",
    ),
    (
        "jwt-token",
        "Authorization: Bearer «JWT»",
        "Authorization: Bearer «JWTDOC»",
    ),
    (
        "url-credentials",
        "DATABASE_URL=postgres://app:«n:16»@db.acme.io:5432/app",
        "DATABASE_URL=postgres://app:${DB_PASS}@db.acme.io/app",
    ),
    (
        "netrc-password",
        "machine api.acme.io\n  login deploy\n  password «n:20»",
        "machine api.acme.io login deploy",
    ),
    (
        "maven-settings-password",
        "<server><id>r</id><username>u</username><password>«n:16»</password></server>",
        "<password>${env.REPO_PASS}</password>",
    ),
    (
        "password-assignment",
        "DATABASE_PASSWORD = \"«n:16»\"",
        "DATABASE_PASSWORD = \"changeme\"",
    ),
    (
        "password-in-env",
        "DB_PASSWORD=«n:16»",
        "DB_PASSWORD=$DB_PASSWORD_FROM_VAULT",
    ),
    (
        "generic-api-key",
        "api_key = \"«n:32»\"",
        "api_key = \"aaaaaaaaaaaaaaaaaaaaaaaa\"",
    ),
];

const PATH: &str = "srv/app/settings.conf";

fn rule_ids(scanner: &Scanner, text: &str) -> Vec<String> {
    scanner
        .scan_file(PATH, text.as_bytes())
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn every_builtin_rule_has_a_case() {
    let scanner = builtin_scanner();
    let rules: BTreeSet<&str> = scanner.rules().map(|r| r.id.as_str()).collect();
    let cased: BTreeSet<&str> = CASES.iter().map(|c| c.0).collect();
    let missing: Vec<_> = rules.difference(&cased).collect();
    let unknown: Vec<_> = cased.difference(&rules).collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
    assert!(unknown.is_empty(), "cases for unknown rules: {unknown:?}");
    assert_eq!(CASES.len(), cased.len(), "a rule has two cases");
    assert!(rules.len() >= 110, "{} rules", rules.len());
    println!("{} built-in rules", rules.len());
}

#[test]
fn every_rule_finds_its_true_positive_and_never_prints_it() {
    let scanner = builtin_scanner();
    let mut failures = Vec::new();
    for (id, tp, _) in CASES {
        let (text, runs) = expand(tp, id);
        let findings = scanner.scan_file(PATH, text.as_bytes());
        if !findings.iter().any(|f| f.rule_id == *id) {
            let got: Vec<_> = findings.iter().map(|f| f.rule_id.as_str()).collect();
            failures.push(format!("{id}: not found in {text:?} (got {got:?})"));
            continue;
        }
        let json = serde_json::to_string(&findings).unwrap();
        for run in &runs {
            if json.contains(run.as_str()) {
                failures.push(format!("{id}: secret part {run:?} leaked into {json}"));
            }
        }
        let spec = scanner.rules().find(|r| r.id == *id).unwrap();
        let lower = text.to_ascii_lowercase();
        assert!(
            spec.keywords
                .iter()
                .any(|k| lower.contains(&k.to_ascii_lowercase())),
            "{id}: no keyword occurs in its true positive"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_ignores_its_near_miss() {
    let scanner = builtin_scanner();
    let mut failures = Vec::new();
    for (id, _, near) in CASES {
        let (text, _) = expand(near, id);
        if rule_ids(scanner, &text).iter().any(|r| r == id) {
            failures.push(format!("{id}: fired on near miss {text:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn true_positives_survive_surrounding_text_and_crlf() {
    let scanner = builtin_scanner();
    for (id, tp, _) in CASES {
        let (text, _) = expand(tp, id);
        let wrapped = format!(
            "# header line\r\n\r\n{}\r\n# trailer\r\n",
            text.replace('\n', "\r\n")
        );
        let findings = scanner.scan_file(PATH, wrapped.as_bytes());
        let f = findings
            .iter()
            .find(|f| f.rule_id == *id)
            .unwrap_or_else(|| panic!("{id}: lost when wrapped: {wrapped:?}"));
        assert_eq!(f.start_line, 3, "{id}: start line");
    }
}

#[test]
fn private_key_variants_are_found_with_their_block() {
    let scanner = builtin_scanner();
    let kinds = [
        ("RSA PRIVATE KEY", ""),
        ("EC PRIVATE KEY", ""),
        ("DSA PRIVATE KEY", ""),
        ("OPENSSH PRIVATE KEY", ""),
        ("PRIVATE KEY", ""),
        ("ENCRYPTED PRIVATE KEY", ""),
        (
            "RSA PRIVATE KEY",
            "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,«H:32=»\n\n",
        ),
        (
            "PGP PRIVATE KEY BLOCK",
            "Version: GnuPG v2\nComment: test\n\n",
        ),
    ];
    for (label, headers) in kinds {
        let template = format!(
            "-----BEGIN {label}-----\n{headers}«b:64»\n«b:64»\n«b:20»==\n-----END {label}-----\n"
        );
        let (text, runs) = expand(&template, label);
        let findings = scanner.scan_file("home/u/.ssh/key", text.as_bytes());
        assert_eq!(findings.len(), 1, "{label}: {findings:?}");
        let f = &findings[0];
        assert_eq!(f.rule_id, "private-key");
        assert_eq!(f.start_line, 1, "{label}");
        assert_eq!(f.end_line, text.lines().count(), "{label}: block end");
        let json = serde_json::to_string(f).unwrap();
        for run in runs.iter().filter(|r| r.len() >= 20) {
            assert!(!json.contains(run.as_str()), "{label}: body leaked: {json}");
        }
    }
    // A key inside a JSON string, with escaped newlines (as in a GCP service-account file).
    let (body, _) = expand("«b:64»", "json");
    let json = format!(
        "{{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n\"}}"
    );
    assert_eq!(rule_ids(scanner, &json), ["private-key"]);
}

#[test]
fn public_pem_blocks_and_placeholders_are_allowed() {
    let scanner = builtin_scanner();
    let (cert, _) = expand(
        "-----BEGIN CERTIFICATE-----\nMIIB«b:60»\nSK«h:32»\n-----END CERTIFICATE-----\n",
        "cert",
    );
    assert!(rule_ids(scanner, &cert).is_empty(), "{cert}");
    let doc_key = format!("aws_access_key_id = AKIA{}EXAMPLE", "IOSFODNN7");
    assert!(rule_ids(scanner, &doc_key).is_empty());
    let fake = format!("GITHUB_TOKEN=ghp_{}", "x".repeat(36));
    assert!(rule_ids(scanner, &fake).is_empty());
}

#[test]
fn generic_rules_yield_to_specific_ones() {
    let scanner = builtin_scanner();
    let (text, _) = expand("GITHUB_TOKEN=ghp_«GH»\nNPM_TOKEN=npm_«n:36»", "overlap");
    assert_eq!(rule_ids(scanner, &text), ["github-pat", "npm-access-token"]);
}

#[test]
fn assignments_are_found_after_long_dotted_and_underscored_names() {
    // The name may be longer than the 30 (or 20) bytes allowed before the keyword: the part
    // after its last `.`, `_` or `-` is what counts.
    let scanner = builtin_scanner();
    let long = "spring.datasource.hikari.primary.connection";
    for (text, rule) in [
        (
            format!("{long}.password = \"Xk9mQ2vL7pR4tZw8\""),
            "password-assignment",
        ),
        (
            format!("{long}_db_password: 'Xk9mQ2vL7pR4tZw8'"),
            "password-assignment",
        ),
        (
            format!("{long}-client.api_key = \"Q7wErT9yUiOp3AsDfGhJ\""),
            "generic-api-key",
        ),
    ] {
        assert_eq!(rule_ids(scanner, &text), [rule], "{text}");
    }
    // Forty letters straight before the keyword are not a name ending in it.
    let glued = format!("{}password = \"Xk9mQ2vL7pR4tZw8\"", "a".repeat(40));
    assert!(rule_ids(scanner, &glued).is_empty());
}
