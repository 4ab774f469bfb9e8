/** The platform's release version, reported by `kfaas --version`, /system/info and X-Served-By. */
export const KFAAS_VERSION = '0.1.0';
