// The few parts of node-forge that Breakwater uses (certificate generation only); the package ships
// no types, and these keep the dependency to the one package.
declare module 'node-forge' {
  export namespace pki {
    interface PublicKey {
      readonly n: unknown;
    }
    type PrivateKey = object;
    interface CertificateField {
      name?: string;
      shortName?: string;
      value: string;
    }
    interface Certificate {
      publicKey: PublicKey;
      serialNumber: string;
      validity: { notBefore: Date; notAfter: Date };
      readonly subject: { attributes: CertificateField[] };
      setSubject(attrs: CertificateField[]): void;
      setIssuer(attrs: CertificateField[]): void;
      setExtensions(exts: object[]): void;
      generateSubjectKeyIdentifier(): { getBytes(): string };
      sign(key: PrivateKey, md: unknown): void;
    }
    function createCertificate(): Certificate;
    function certificateFromPem(pem: string): Certificate;
    function certificateToPem(cert: Certificate): string;
    function publicKeyFromPem(pem: string): PublicKey;
    function privateKeyFromPem(pem: string): PrivateKey;
  }
  export namespace md {
    namespace sha256 {
      function create(): unknown;
    }
  }
  const forge: { pki: typeof pki; md: typeof md };
  export default forge;
}
