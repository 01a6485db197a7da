{{- define "autoglm.name" -}}{{ .Release.Name }}-open-autoglm{{- end -}}
{{- define "autoglm.labels" -}}
app.kubernetes.io/name: open-autoglm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
