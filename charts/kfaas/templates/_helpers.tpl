{{/* Names, labels, images and the shared environment of the kfaas components. */}}

{{- define "kfaas.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The resource name prefix: <release>-kfaas, or just <release> when it already says kfaas. */}}
{{- define "kfaas.fullname" -}}
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

{{/* kfaas.componentName (dict "root" $ "component" "gateway"): <fullname>-<component>, within 63 characters. */}}
{{- define "kfaas.componentName" -}}
{{- printf "%s-%s" (include "kfaas.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component -}}
{{- end -}}

{{- define "kfaas.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component: stable across upgrades (Deployment selectors are immutable). */}}
{{- define "kfaas.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kfaas.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component's objects. */}}
{{- define "kfaas.labels" -}}
helm.sh/chart: {{ include "kfaas.chart" .root }}
{{ include "kfaas.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: kfaas
{{- end -}}

{{/* kfaas.image (dict "root" $ "override" .Values.gateway.image): repository:tag or repository@digest. */}}
{{- define "kfaas.image" -}}
{{- $img := merge (deepCopy (default dict .override)) .root.Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/* The function namespaces as a JSON array: functions.namespace first, then extraNamespaces, deduplicated. */}}
{{- define "kfaas.functionNamespaces" -}}
{{- $all := prepend (default list .Values.functions.extraNamespaces) .Values.functions.namespace | uniq -}}
{{- range $all -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString .)) -}}
{{- fail (printf "functions.namespace / functions.extraNamespaces: %q is not a valid namespace name (a DNS-1123 label)" (toString .)) -}}
{{- end -}}
{{- if eq (toString .) "kube-system" -}}
{{- fail "functions.namespace / functions.extraNamespaces: kube-system may not hold functions" -}}
{{- end -}}
{{- end -}}
{{- toJson $all -}}
{{- end -}}

{{/* Kafka bootstrap brokers as one comma-separated string; fails clearly when missing or malformed. */}}
{{- define "kfaas.kafkaBrokers" -}}
{{- $raw := .Values.kafka.brokers -}}
{{- $list := list -}}
{{- if kindIs "string" $raw -}}
{{- range splitList "," $raw -}}{{- if trim . -}}{{- $list = append $list (trim .) -}}{{- end -}}{{- end -}}
{{- else if $raw -}}
{{- range $raw -}}{{- if trim (toString .) -}}{{- $list = append $list (trim (toString .)) -}}{{- end -}}{{- end -}}
{{- end -}}
{{- if not $list -}}
{{- fail "kafka.brokers is required: set it to your Kafka bootstrap servers, e.g. --set kafka.brokers=my-cluster-kafka-bootstrap.kafka:9092 (a list or a comma-separated string of host:port)" -}}
{{- end -}}
{{- range $list -}}
{{- if not (regexMatch "^[^:/\\s]+:[0-9]+$" .) -}}
{{- fail (printf "kafka.brokers: %q is not host:port (e.g. kafka-bootstrap.kafka:9092)" .) -}}
{{- end -}}
{{- end -}}
{{- join "," $list -}}
{{- end -}}

{{/* Checks the values that no template would otherwise reject; included once from NOTES-independent objects. */}}
{{- define "kfaas.validate" -}}
{{- $_ := include "kfaas.kafkaBrokers" . -}}
{{- $_ := include "kfaas.functionNamespaces" . -}}
{{- $mech := toString .Values.kafka.sasl.mechanism -}}
{{- if not (has $mech (list "" "plain" "scram-sha-256" "scram-sha-512")) -}}
{{- fail (printf "kafka.sasl.mechanism: %q must be empty, plain, scram-sha-256 or scram-sha-512" $mech) -}}
{{- end -}}
{{- if and $mech (not .Values.kafka.sasl.existingSecret) -}}
{{- fail "kafka.sasl.existingSecret is required when kafka.sasl.mechanism is set: a Secret with the SASL username and password" -}}
{{- end -}}
{{- if ne (empty .Values.kafka.tls.certKey) (empty .Values.kafka.tls.keyKey) -}}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together: set both for mutual TLS, or neither" -}}
{{- end -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.certKey (not .Values.kafka.tls.existingSecret) -}}
{{- fail "kafka.tls.existingSecret is required for mutual TLS: a Secret holding kafka.tls.certKey and kafka.tls.keyKey" -}}
{{- end -}}
{{- if and .Values.gateway.basicAuth.enabled .Values.gateway.basicAuth.invocations -}}
{{- /* The workers run async calls through the gateway's /function route and have no credentials to send. */ -}}
{{- fail "gateway.basicAuth.invocations=true is not supported yet: the workers call /function without credentials, so every async call would fail with 401" -}}
{{- end -}}
{{- $queues := list -}}
{{- range .Values.worker.queues -}}
{{- if not .name -}}
{{- fail "worker.queues: every item needs a name (the queue of Functions whose spec.queue names it)" -}}
{{- end -}}
{{- if or (gt (len .name) 56) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .name)) -}}
{{- fail (printf "worker.queues: %q must be a DNS-1123 label of at most 56 characters (it names a Deployment)" .name) -}}
{{- end -}}
{{- if has .name $queues -}}
{{- fail (printf "worker.queues: %q is listed twice" .name) -}}
{{- end -}}
{{- $queues = append $queues .name -}}
{{- end -}}
{{- end -}}

{{/* Where the Kafka TLS material is mounted in gateway and worker pods. */}}
{{- define "kfaas.kafkaTlsDir" -}}/etc/kfaas/kafka-tls{{- end -}}

{{/* The Kafka environment shared by the gateway and the workers. */}}
{{- define "kfaas.kafkaEnv" -}}
- name: KAFKA_BROKERS
  value: {{ include "kfaas.kafkaBrokers" . | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ .Values.kafka.clientId | quote }}
- name: KFAAS_INVOCATIONS_TOPIC
  value: {{ .Values.kafka.topics.invocations | quote }}
- name: KFAAS_DEAD_LETTER_TOPIC
  value: {{ .Values.kafka.topics.deadLetter | quote }}
- name: KFAAS_TOPIC_PARTITIONS
  value: {{ .Values.kafka.topics.partitions | quote }}
- name: KFAAS_TOPIC_REPLICATION_FACTOR
  value: {{ .Values.kafka.topics.replicationFactor | quote }}
{{- with .Values.kafka.tls }}
{{- if .enabled }}
- name: KAFKA_TLS
  value: "true"
- name: KAFKA_TLS_REJECT_UNAUTHORIZED
  value: {{ .verify | quote }}
{{- if and .existingSecret .caKey }}
- name: KAFKA_TLS_CA_FILE
  value: {{ printf "%s/%s" (include "kfaas.kafkaTlsDir" $) .caKey | quote }}
{{- end }}
{{- if and .existingSecret .certKey }}
- name: KAFKA_TLS_CERT_FILE
  value: {{ printf "%s/%s" (include "kfaas.kafkaTlsDir" $) .certKey | quote }}
- name: KAFKA_TLS_KEY_FILE
  value: {{ printf "%s/%s" (include "kfaas.kafkaTlsDir" $) .keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.kafka.sasl }}
{{- if .mechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .passwordKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Volume and mount of the Kafka TLS Secret, when one is configured. */}}
{{- define "kfaas.kafkaTlsVolume" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret -}}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
    defaultMode: 288 # 0440: owner and group read
{{- end }}
{{- end -}}
{{- define "kfaas.kafkaTlsMount" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret -}}
- name: kafka-tls
  mountPath: {{ include "kfaas.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* The name of the basic-auth Secret the gateway reads. */}}
{{- define "kfaas.basicAuthSecret" -}}
{{- default (include "kfaas.componentName" (dict "root" . "component" "basic-auth")) .Values.gateway.basicAuth.existingSecret -}}
{{- end -}}

{{/* Where the gateway and the workers mount the basic-auth Secret. */}}
{{- define "kfaas.basicAuthDir" -}}/var/secrets/gateway/{{- end -}}

{{/* The basic-auth Secret as a volume (gateway: to check credentials; workers: to describe functions). */}}
{{- define "kfaas.basicAuthVolume" -}}
{{- if .Values.gateway.basicAuth.enabled -}}
- name: basic-auth
  secret:
    secretName: {{ include "kfaas.basicAuthSecret" . }}
    defaultMode: 288 # 0440: owner and group read
    items:
      - key: basic-auth-user
        path: basic-auth-user
      - key: basic-auth-password
        path: basic-auth-password
{{- end }}
{{- end -}}
{{- define "kfaas.basicAuthMount" -}}
{{- if .Values.gateway.basicAuth.enabled -}}
- name: basic-auth
  mountPath: {{ include "kfaas.basicAuthDir" . | quote }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* kfaas.pdb (dict "root" $ "component" "gateway" "name" <name> "pdb" .Values.gateway.pdb "selector" <yaml>). */}}
{{- define "kfaas.pdb" -}}
{{- if .pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "kfaas.labels" . | nindent 4 }}
spec:
  {{- if and (not (kindIs "invalid" .pdb.minAvailable)) (ne (toString .pdb.minAvailable) "") }}
  minAvailable: {{ .pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- .selector | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
The address a platform listener binds in its pod. Probes and scrapes come from outside the pod, so it listens
beyond loopback: on every address of the pod, or with hostNetwork on the pod IP alone (the node's address), so
that the node's other interfaces and loopback stay closed. Usage: include "kfaas.bindEnv" (dict "name" "KFAAS_GATEWAY_BIND" "root" .)
*/}}
{{- define "kfaas.bindEnv" -}}
- name: {{ .name }}
{{- if .root.Values.hostNetwork }}
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- else }}
  value: 0.0.0.0
{{- end }}
{{- end }}

{{/* Pod spec fields of hostNetwork mode (none otherwise). */}}
{{- define "kfaas.hostNetwork" -}}
{{- if .Values.hostNetwork }}
hostNetwork: true
# Keep cluster DNS for the pod's own lookups where the cluster has it.
dnsPolicy: ClusterFirstWithHostNet
{{- end }}
{{- end }}
