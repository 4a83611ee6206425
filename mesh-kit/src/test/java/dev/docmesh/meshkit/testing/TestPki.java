package dev.docmesh.meshkit.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made in a test, writing PEM files as a Kubernetes TLS Secret has them:
 * the CA certificate, and leaf certificates (server and client use) with PKCS#8 keys.
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** PEM files of one issued certificate. */
  public record Issued(Path cert, Path key, BigInteger serial) {}

  private final Path dir;
  private final String name;
  private final KeyPair caKey;
  private final X509Certificate caCert;
  private final Path caFile;

  private TestPki(Path dir, String name) {
    this.dir = dir;
    this.name = name;
    try {
      Files.createDirectories(dir);
      caKey = ecKey();
      X500Name subject = new X500Name("CN=" + name + " test CA");
      X509v3CertificateBuilder b = builder(subject, subject, caKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      caCert = sign(b, caKey);
      caFile = dir.resolve(name + "-ca.crt");
      Files.writeString(caFile, pem("CERTIFICATE", caCert.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new CA whose files go to {@code dir}. */
  public static TestPki create(Path dir, String name) {
    return new TestPki(dir, name);
  }

  public Path caFile() {
    return caFile;
  }

  /**
   * A certificate for {@code cn}, valid for localhost, 127.0.0.1 and {@code dnsNames}, server and
   * client use.
   */
  public Issued issue(String cn, String... dnsNames) {
    return issueAs(cn, cn, dnsNames);
  }

  /** As {@link #issue(String, String...)}, written to files named after {@code fileName}. */
  public Issued issueAs(String fileName, String cn, String... dnsNames) {
    try {
      KeyPair key = ecKey();
      X509v3CertificateBuilder b =
          builder(new X500Name("CN=" + name + " test CA"), new X500Name("CN=" + cn), key);
      List<GeneralName> sans = new ArrayList<>();
      sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
      sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      for (String d : dnsNames) {
        sans.add(new GeneralName(GeneralName.dNSName, d));
      }
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(sans.toArray(GeneralName[]::new)));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      X509Certificate cert = sign(b, caKey);
      Path certFile = dir.resolve(fileName + ".crt");
      Path keyFile = dir.resolve(fileName + ".key");
      replace(keyFile, pem("PRIVATE KEY", key.getPrivate().getEncoded()));
      replace(certFile, pem("CERTIFICATE", cert.getEncoded()));
      return new Issued(certFile, keyFile, cert.getSerialNumber());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes {@code content} to a temporary file and moves it over {@code file} (as a Secret update
   * swaps files), with a modification time that is new even on coarse file systems.
   */
  public static void replace(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), ".swap", ".tmp");
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    FileTime previous =
        Files.exists(file) ? Files.getLastModifiedTime(file) : FileTime.fromMillis(0);
    FileTime next =
        FileTime.from(
            Instant.ofEpochMilli(Math.max(System.currentTimeMillis(), previous.toMillis() + 2000)));
    Files.setLastModifiedTime(tmp, next);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair key) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(2))),
        subject,
        key.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(b.build(s));
  }

  private static KeyPair ecKey() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
