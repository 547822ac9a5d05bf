{{/*
Names, labels, the catalogue of services, partition caps, configuration and Secret references.
Everything the templates share lives here; the templates themselves only lay objects out.
*/}}

{{- define "notify.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "notify.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one service's objects: "<fullname>-<service>". Context: (dict "root" $ "name" "sms-sender") */}}
{{- define "notify.componentName" -}}
{{- printf "%s-%s" (include "notify.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "notify.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. Context: the root. */}}
{{- define "notify.labels" -}}
helm.sh/chart: {{ include "notify.chart" . }}
app.kubernetes.io/name: {{ include "notify.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: notify
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of one service's objects. Context: (dict "root" $ "name" "sms-sender") */}}
{{- define "notify.componentLabels" -}}
{{ include "notify.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Selector labels of one service's pods. Context: (dict "root" $ "name" "sms-sender") */}}
{{- define "notify.selectorLabels" -}}
app.kubernetes.io/name: {{ include "notify.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "notify.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "notify.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The services of the platform: service name -> its block in values and whether it serves HTTP to
others (a Service, and an Ingress where it has one). Optional: `metrics: false` for a service
without /metrics (no prometheus.io annotations); `secrets`, the secret environment it gets
("platform": every shared credential, see notify.serviceSecretRefs; default [platform]);
`reaches`, the only services it may call (an egress NetworkPolicy); `from`, the only services
that may call it (with networkPolicy.scrapers for /metrics; no Ingress is rendered). Whether a service is a Kafka
consumer is not written here: it is one when files/topics.json names it as a consumer group.
*/}}
{{- define "notify.catalog" -}}
admin-api: {key: adminApi, http: true, secrets: [platform, NOTIFY_ADMIN_API_TOKEN], from: [admin-console]}
admin-console: {key: adminConsole, http: true, secrets: [NOTIFY_ADMIN_API_TOKEN, NOTIFY_CONSOLE_SECRET_KEY, NOTIFY_SECRET_KEY], reaches: [admin-api, api-gateway, analytics]}
analytics: {key: analytics, http: true}
api-gateway: {key: apiGateway, http: true}
callbacks: {key: callbacks, http: false}
document-download: {key: documentDownload, http: true}
email-sender: {key: emailSender, http: false}
job-splitter: {key: jobSplitter, http: false}
letter-sender: {key: letterSender, http: false}
projector: {key: projector, http: false}
provider-simulator: {key: providerSimulator, http: true}
receipts: {key: receipts, http: true}
sms-sender: {key: smsSender, http: false}
{{- end -}}

{{/* The platform's topic declaration, the copy of `python -m notify_common.topics --json`. */}}
{{- define "notify.topicsDocument" -}}
{{- $raw := .Files.Get "files/topics.json" -}}
{{- if not $raw -}}
{{- fail "files/topics.json is missing from the chart" -}}
{{- end -}}
{{- $raw -}}
{{- end -}}

{{/*
The most partitions among the topics a consumer group reads: more members than that would hold
no partition. 0 when the service is no consumer group. Context: (dict "root" $ "name" "sms-sender")
*/}}
{{- define "notify.partitionCap" -}}
{{- $doc := include "notify.topicsDocument" .root | fromJson -}}
{{- $cap := 0 -}}
{{- range $doc.topics -}}
{{- if has $.name .consumer_groups -}}
{{- $cap = max $cap (int .partitions) -}}
{{- end -}}
{{- end -}}
{{- $cap -}}
{{- end -}}

{{/* A replica count capped by the partition cap for consumers. Context: (dict "root" $ "name" n "value" 3) */}}
{{- define "notify.capReplicas" -}}
{{- $cap := include "notify.partitionCap" . | int -}}
{{- if gt $cap 0 -}}
{{- min (int .value) $cap -}}
{{- else -}}
{{- int .value -}}
{{- end -}}
{{- end -}}

{{/* The image of one service. Context: (dict "root" $ "name" "sms-sender" "svc" <its values>) */}}
{{- define "notify.image" -}}
{{- $repository := default (printf "%s-%s" .root.Values.image.repository .name) .svc.image.repository -}}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) .svc.image.tag -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{- define "notify.secretName" -}}
{{- include "notify.fullname" . -}}
{{- end -}}

{{- define "notify.migrationName" -}}
{{- printf "%s-migrate" (include "notify.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "notify.providersSecretName" -}}
{{- default (printf "%s-providers" (include "notify.fullname" .)) .Values.providers.existingSecret -}}
{{- end -}}

{{- define "notify.kafkaCaSecretName" -}}
{{- default (printf "%s-kafka-ca" (include "notify.fullname" .)) .Values.kafka.tls.existingSecret -}}
{{- end -}}

{{/* The api-gateway's in-cluster Service URL, how the admin console reaches it. Context: the root. */}}
{{- define "notify.apiGatewayServiceUrl" -}}
{{- printf "http://%s:%d" (include "notify.componentName" (dict "root" . "name" "api-gateway")) (int .Values.apiGateway.service.port) -}}
{{- end -}}

{{/* The admin-api's in-cluster Service URL, how the admin console reaches it. Context: the root. */}}
{{- define "notify.adminApiServiceUrl" -}}
{{- printf "http://%s:%d" (include "notify.componentName" (dict "root" . "name" "admin-api")) (int .Values.adminApi.service.port) -}}
{{- end -}}

{{/* NOTIFY_CONSOLE_URL: the configured one, else the console ingress's first host, else empty. */}}
{{- define "notify.consoleUrl" -}}
{{- $console := .Values.adminConsole -}}
{{- if $console.url -}}
{{- $console.url -}}
{{- else if and $console.ingress.enabled $console.ingress.hosts -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len $console.ingress.tls) 0)) (first $console.ingress.hosts).host -}}
{{- end -}}
{{- end -}}

{{- define "notify.kafkaCaMounted" -}}
{{- if and (has .Values.kafka.securityProtocol (list "SSL" "SASL_SSL")) (or .Values.kafka.tls.caCert .Values.kafka.tls.existingSecret) -}}
true
{{- end -}}
{{- end -}}

{{- define "notify.kafkaCaPath" -}}
/etc/notify/kafka-ca/ca.crt
{{- end -}}

{{/* NOTIFY_API_BASE_URL: the configured one, else the API ingress, else the in-cluster Service. */}}
{{- define "notify.apiBaseUrl" -}}
{{- $ingress := .Values.apiGateway.ingress -}}
{{- if .Values.config.apiBaseUrl -}}
{{- .Values.config.apiBaseUrl -}}
{{- else if and $ingress.enabled $ingress.hosts -}}
{{- $host := (first $ingress.hosts).host -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len $ingress.tls) 0)) $host -}}
{{- else -}}
{{- printf "http://%s" (include "notify.componentName" (dict "root" . "name" "api-gateway")) -}}
{{- end -}}
{{- end -}}

{{/* NOTIFY_DOCUMENT_DOWNLOAD_URL, where links to files sent by email start: the configured one, else
document-download's ingress, else its in-cluster Service (reachable by no recipient). */}}
{{- define "notify.documentDownloadUrl" -}}
{{- $ingress := .Values.documentDownload.ingress -}}
{{- if .Values.config.documentDownloadUrl -}}
{{- .Values.config.documentDownloadUrl -}}
{{- else if and $ingress.enabled $ingress.hosts -}}
{{- $host := (first $ingress.hosts).host -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len $ingress.tls) 0)) $host -}}
{{- else -}}
{{- printf "http://%s" (include "notify.componentName" (dict "root" . "name" "document-download")) -}}
{{- end -}}
{{- end -}}

{{/*
Refuses values that would render a platform that cannot work, with a message saying what to set.
values.schema.json checks types and shapes; this checks what depends on several values.
*/}}
{{- define "notify.validate" -}}
{{- $v := .Values -}}
{{- if not $v.kafka.bootstrapServers -}}
{{- fail "kafka.bootstrapServers is required: the Kafka cluster's bootstrap servers (host:port,...)" -}}
{{- end -}}
{{- if and (hasPrefix "SASL" $v.kafka.securityProtocol) (not $v.kafka.sasl.existingSecret) (not (and $v.kafka.sasl.username $v.kafka.sasl.password)) -}}
{{- fail (printf "kafka.securityProtocol %s needs kafka.sasl.username and kafka.sasl.password, or kafka.sasl.existingSecret" $v.kafka.securityProtocol) -}}
{{- end -}}
{{- if and (hasPrefix "SASL" $v.kafka.securityProtocol) $v.kafka.sasl.existingSecret (not $v.kafka.sasl.usernameKey) (not $v.kafka.sasl.username) -}}
{{- fail "kafka.sasl.existingSecret without kafka.sasl.usernameKey needs kafka.sasl.username" -}}
{{- end -}}
{{- if and (not $v.database.url) (not $v.database.existingSecret) -}}
{{- fail "database.url or database.existingSecret is required (NOTIFY_DATABASE_URL, postgresql+psycopg://...)" -}}
{{- end -}}
{{- if and (not $v.redis.url) (not $v.redis.existingSecret) -}}
{{- fail "redis.url or redis.existingSecret is required (NOTIFY_REDIS_URL)" -}}
{{- end -}}
{{- if and (not $v.secretKey.value) (not $v.secretKey.existingSecret) -}}
{{- fail "secretKey.value or secretKey.existingSecret is required (NOTIFY_SECRET_KEY encrypts API key secrets at rest; keep it for the life of the installation)" -}}
{{- end -}}
{{- if and (or $v.aws.accessKeyId $v.aws.secretAccessKey) (not (and $v.aws.accessKeyId $v.aws.secretAccessKey)) -}}
{{- fail "aws.accessKeyId and aws.secretAccessKey go together" -}}
{{- end -}}
{{- if gt (int $v.kafka.minInsyncReplicas) (int $v.kafka.replicationFactor) -}}
{{- fail (printf "kafka.minInsyncReplicas (%d) cannot exceed kafka.replicationFactor (%d)" (int $v.kafka.minInsyncReplicas) (int $v.kafka.replicationFactor)) -}}
{{- end -}}
{{- if and $v.kafka.strimziTopics.enabled (not $v.kafka.strimziTopics.clusterName) -}}
{{- fail "kafka.strimziTopics.clusterName is required when kafka.strimziTopics.enabled (the strimzi.io/cluster label)" -}}
{{- end -}}
{{- if $v.adminConsole.enabled -}}
{{- if not (and $v.apiGateway.enabled $v.adminApi.enabled) -}}
{{- fail "the admin console reaches the platform only through the admin-api and the api-gateway: keep adminApi.enabled and apiGateway.enabled, or set adminConsole.enabled=false" -}}
{{- end -}}
{{- if and (not $v.adminApiToken.value) (not $v.adminApiToken.existingSecret) -}}
{{- fail "adminApiToken.value or adminApiToken.existingSecret is required with adminConsole.enabled (NOTIFY_ADMIN_API_TOKEN: the console reaches the platform only through the admin API)" -}}
{{- end -}}
{{- if and (not $v.adminConsole.secretKey.value) (not $v.adminConsole.secretKey.existingSecret) -}}
{{- fail "adminConsole.secretKey.value or adminConsole.secretKey.existingSecret is required with adminConsole.enabled (NOTIFY_CONSOLE_SECRET_KEY signs the console's session cookies)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Non-secret configuration shared by every service, as a YAML map. Context: the root. */}}
{{- define "notify.configData" -}}
{{- $v := .Values -}}
NOTIFY_ENVIRONMENT: {{ $v.environment | quote }}
NOTIFY_LOG_LEVEL: {{ $v.config.logLevel | quote }}
NOTIFY_HTTP_HOST: "0.0.0.0"
NOTIFY_HTTP_PORT: "8080"
NOTIFY_API_BASE_URL: {{ include "notify.apiBaseUrl" . | quote }}
NOTIFY_DOCUMENT_DOWNLOAD_URL: {{ include "notify.documentDownloadUrl" . | quote }}
NOTIFY_KAFKA_BOOTSTRAP_SERVERS: {{ $v.kafka.bootstrapServers | quote }}
NOTIFY_KAFKA_SECURITY_PROTOCOL: {{ $v.kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL" $v.kafka.securityProtocol }}
NOTIFY_KAFKA_SASL_MECHANISM: {{ $v.kafka.sasl.mechanism | quote }}
{{- end }}
{{- if include "notify.kafkaCaMounted" . }}
NOTIFY_KAFKA_SSL_CAFILE: {{ include "notify.kafkaCaPath" . | quote }}
{{- end }}
NOTIFY_KAFKA_TOPIC_PREFIX: {{ $v.kafka.topicPrefix | quote }}
NOTIFY_KAFKA_TOPIC_REPLICATION_FACTOR: {{ $v.kafka.replicationFactor | int | quote }}
NOTIFY_KAFKA_PROVISION_TOPICS: {{ ternary "true" "false" $v.kafka.provisionTopics | quote }}
NOTIFY_AWS_REGION: {{ $v.aws.region | quote }}
{{- if $v.aws.endpointUrl }}
NOTIFY_AWS_ENDPOINT_URL: {{ $v.aws.endpointUrl | quote }}
{{- end }}
{{- range $name, $value := $v.config.env }}
{{ $name }}: {{ tpl (toString $value) $ | quote }}
{{- end }}
{{- end -}}

{{/*
Where each secret environment variable comes from: env name -> {name: Secret, key: key}.
Chart-managed values live in the Secret named by .secretName (the release's Secret, or the
migration hook's copy). Context: (dict "root" $ "secretName" "..." "only" (list ...) or nil)
*/}}
{{- define "notify.secretRefs" -}}
{{- $v := .root.Values -}}
{{- $own := .secretName -}}
{{- $refs := dict -}}
{{- if hasPrefix "SASL" $v.kafka.securityProtocol -}}
{{- if and $v.kafka.sasl.existingSecret $v.kafka.sasl.usernameKey -}}
{{- $_ := set $refs "NOTIFY_KAFKA_SASL_USERNAME" (dict "name" $v.kafka.sasl.existingSecret "key" $v.kafka.sasl.usernameKey) -}}
{{- else -}}
{{- $_ := set $refs "NOTIFY_KAFKA_SASL_USERNAME" (dict "name" $own "key" "kafka-sasl-username") -}}
{{- end -}}
{{- if $v.kafka.sasl.existingSecret -}}
{{- $_ := set $refs "NOTIFY_KAFKA_SASL_PASSWORD" (dict "name" $v.kafka.sasl.existingSecret "key" $v.kafka.sasl.passwordKey) -}}
{{- else -}}
{{- $_ := set $refs "NOTIFY_KAFKA_SASL_PASSWORD" (dict "name" $own "key" "kafka-sasl-password") -}}
{{- end -}}
{{- end -}}
{{- if $v.database.existingSecret -}}
{{- $_ := set $refs "NOTIFY_DATABASE_URL" (dict "name" $v.database.existingSecret "key" $v.database.urlKey) -}}
{{- else -}}
{{- $_ := set $refs "NOTIFY_DATABASE_URL" (dict "name" $own "key" "database-url") -}}
{{- end -}}
{{- if $v.redis.existingSecret -}}
{{- $_ := set $refs "NOTIFY_REDIS_URL" (dict "name" $v.redis.existingSecret "key" $v.redis.urlKey) -}}
{{- else -}}
{{- $_ := set $refs "NOTIFY_REDIS_URL" (dict "name" $own "key" "redis-url") -}}
{{- end -}}
{{- if $v.secretKey.existingSecret -}}
{{- $_ := set $refs "NOTIFY_SECRET_KEY" (dict "name" $v.secretKey.existingSecret "key" $v.secretKey.key) -}}
{{- else -}}
{{- $_ := set $refs "NOTIFY_SECRET_KEY" (dict "name" $own "key" "secret-key") -}}
{{- end -}}
{{- if $v.aws.existingSecret -}}
{{- $_ := set $refs "AWS_ACCESS_KEY_ID" (dict "name" $v.aws.existingSecret "key" $v.aws.accessKeyIdKey) -}}
{{- $_ := set $refs "AWS_SECRET_ACCESS_KEY" (dict "name" $v.aws.existingSecret "key" $v.aws.secretAccessKeyKey) -}}
{{- else if $v.aws.accessKeyId -}}
{{- $_ := set $refs "AWS_ACCESS_KEY_ID" (dict "name" $own "key" "aws-access-key-id") -}}
{{- $_ := set $refs "AWS_SECRET_ACCESS_KEY" (dict "name" $own "key" "aws-secret-access-key") -}}
{{- end -}}
{{- if $v.adminApiToken.existingSecret -}}
{{- $_ := set $refs "NOTIFY_ADMIN_API_TOKEN" (dict "name" $v.adminApiToken.existingSecret "key" $v.adminApiToken.key) -}}
{{- else if $v.adminApiToken.value -}}
{{- $_ := set $refs "NOTIFY_ADMIN_API_TOKEN" (dict "name" $own "key" "admin-api-token") -}}
{{- end -}}
{{- if $v.adminConsole.enabled -}}
{{- if $v.adminConsole.secretKey.existingSecret -}}
{{- $_ := set $refs "NOTIFY_CONSOLE_SECRET_KEY" (dict "name" $v.adminConsole.secretKey.existingSecret "key" $v.adminConsole.secretKey.key) -}}
{{- else -}}
{{- $_ := set $refs "NOTIFY_CONSOLE_SECRET_KEY" (dict "name" $own "key" "console-secret-key") -}}
{{- end -}}
{{- end -}}
{{- if .only -}}
{{- $picked := dict -}}
{{- range .only -}}
{{- if hasKey $refs . -}}
{{- $_ := set $picked . (get $refs .) -}}
{{- end -}}
{{- end -}}
{{- $refs = $picked -}}
{{- end -}}
{{- toYaml $refs -}}
{{- end -}}

{{/*
The values the chart keeps in its own Secret (those not taken from existing Secrets), key -> value.
Context: the root.
*/}}
{{- define "notify.secretData" -}}
{{- $v := .Values -}}
{{- $data := dict -}}
{{- if and (hasPrefix "SASL" $v.kafka.securityProtocol) (not (and $v.kafka.sasl.existingSecret $v.kafka.sasl.usernameKey)) -}}
{{- $_ := set $data "kafka-sasl-username" $v.kafka.sasl.username -}}
{{- end -}}
{{- if and (hasPrefix "SASL" $v.kafka.securityProtocol) (not $v.kafka.sasl.existingSecret) -}}
{{- $_ := set $data "kafka-sasl-password" $v.kafka.sasl.password -}}
{{- end -}}
{{- if not $v.database.existingSecret -}}
{{- $_ := set $data "database-url" $v.database.url -}}
{{- end -}}
{{- if not $v.redis.existingSecret -}}
{{- $_ := set $data "redis-url" $v.redis.url -}}
{{- end -}}
{{- if not $v.secretKey.existingSecret -}}
{{- $_ := set $data "secret-key" $v.secretKey.value -}}
{{- end -}}
{{- if and (not $v.aws.existingSecret) $v.aws.accessKeyId -}}
{{- $_ := set $data "aws-access-key-id" $v.aws.accessKeyId -}}
{{- $_ := set $data "aws-secret-access-key" $v.aws.secretAccessKey -}}
{{- end -}}
{{- if and (not $v.adminApiToken.existingSecret) $v.adminApiToken.value -}}
{{- $_ := set $data "admin-api-token" $v.adminApiToken.value -}}
{{- end -}}
{{- if and $v.adminConsole.enabled (not $v.adminConsole.secretKey.existingSecret) -}}
{{- $_ := set $data "console-secret-key" $v.adminConsole.secretKey.value -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/*
The secret environment of one service, env name -> {name, key}: the refs its catalog entry's
`secrets` names. "platform" stands for every ref but those only named services get (the admin
API token, the console's session key). Context: (dict "root" $ "meta" <catalog entry>)
*/}}
{{- define "notify.serviceSecretRefs" -}}
{{- $all := include "notify.secretRefs" (dict "root" .root "secretName" (include "notify.secretName" .root) "only" (list)) | fromYaml -}}
{{- $wanted := default (list "platform") .meta.secrets -}}
{{- $namedOnly := list "NOTIFY_ADMIN_API_TOKEN" "NOTIFY_CONSOLE_SECRET_KEY" -}}
{{- $refs := dict -}}
{{- range $env, $ref := $all -}}
{{- if or (has $env $wanted) (and (has "platform" $wanted) (not (has $env $namedOnly))) -}}
{{- $_ := set $refs $env $ref -}}
{{- end -}}
{{- end -}}
{{- toYaml $refs -}}
{{- end -}}

{{/*
Non-secret environment of one service beyond the ConfigMap, as EnvVar entries (before the
service's own `env`, which may override it). Context: (dict "root" $ "name" "admin-console")
*/}}
{{- define "notify.serviceEnv" -}}
{{- if eq .name "admin-console" }}
# The console manages through the admin-api and sends through the api-gateway, both inside the
# cluster (never through a public URL).
- name: NOTIFY_ADMIN_API_URL
  value: {{ include "notify.adminApiServiceUrl" .root | quote }}
- name: NOTIFY_API_BASE_URL
  value: {{ include "notify.apiGatewayServiceUrl" .root | quote }}
- name: NOTIFY_CONSOLE_SECURE_COOKIES
  value: {{ ne .root.Values.environment "development" | toString | quote }}
# The performance page draws from the analytics workers' JSON views.
- name: NOTIFY_ANALYTICS_URL
  value: {{ printf "http://%s:%d" (include "notify.componentName" (dict "root" .root "name" "analytics")) (int .root.Values.analytics.service.port) | quote }}
{{- with include "notify.consoleUrl" .root }}
- name: NOTIFY_CONSOLE_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Renders a map of env name -> {name, key} as EnvVar entries. Context: the map. */}}
{{- define "notify.secretEnv" -}}
{{- range $env, $ref := . }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name | quote }}
      key: {{ $ref.key | quote }}
{{- end }}
{{- end -}}

{{/* The pod-level scheduling and security shared by Deployments and the Job. Context: (dict "root" $ "svc" <values or nil>) */}}
{{- define "notify.podScheduling" -}}
{{- $root := .root -}}
{{- $svc := default (dict) .svc -}}
{{- with (default $root.Values.nodeSelector $svc.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.tolerations $svc.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.affinity $svc.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
