package dev.docmesh.meshkit.security;

import dev.docmesh.meshkit.config.ConfigException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.function.Supplier;

/**
 * The token a client sends as {@code authorization: Bearer ...} on every call: a fixed value (the
 * CLI's {@code --token}) or a file re-read when it changes (a service's mounted Secret).
 */
public final class BearerToken implements ClientInterceptor {
  private final Supplier<String> token;

  private BearerToken(Supplier<String> token) {
    this.token = token;
  }

  public static BearerToken of(String token) {
    if (token.isBlank()) {
      throw new ConfigException("the bearer token is empty");
    }
    String t = token.trim();
    return new BearerToken(() -> t);
  }

  /** The token in {@code file} (surrounding whitespace ignored), re-read when the file changes. */
  public static BearerToken fromFile(Path file) {
    FileToken f = new FileToken(file);
    f.get();
    return new BearerToken(f);
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token.get());
        super.start(listener, headers);
      }
    };
  }

  private static final class FileToken implements Supplier<String> {
    private final Path file;
    private volatile String value;
    private volatile FileTime modified;

    FileToken(Path file) {
      this.file = file;
    }

    @Override
    public String get() {
      try {
        FileTime now = Files.getLastModifiedTime(file);
        if (value == null || !now.equals(modified)) {
          String read = Files.readString(file, StandardCharsets.UTF_8).trim();
          if (read.isEmpty()) {
            throw new ConfigException("the token file " + file + " is empty");
          }
          value = read;
          modified = now;
        }
      } catch (IOException e) {
        if (value == null) {
          throw new ConfigException("cannot read the token file " + file + ": " + e.getMessage());
        }
        // a Secret being swapped: keep sending the token we have
      }
      return value;
    }
  }
}
