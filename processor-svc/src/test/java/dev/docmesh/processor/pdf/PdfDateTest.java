package dev.docmesh.processor.pdf;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

/** PDF dates as real files write them. */
class PdfDateTest {

  @Test
  void offsetsAsWritten() {
    PdfDate plus = PdfDate.parse("D:20220403180542+02'00'").orElseThrow();
    assertThat(plus.offsetText()).isEqualTo("+02'00'");
    assertThat(plus.instant()).isEqualTo(Instant.parse("2022-04-03T16:05:42Z"));

    PdfDate minus = PdfDate.parse("D:20220415133024-01'00'").orElseThrow();
    assertThat(minus.instant()).isEqualTo(Instant.parse("2022-04-15T14:30:24Z"));

    PdfDate none = PdfDate.parse("D:20220415120134").orElseThrow();
    assertThat(none.offsetText()).isEmpty();
    assertThat(none.instant()).isEqualTo(Instant.parse("2022-04-15T12:01:34Z"));

    PdfDate malformed = PdfDate.parse("D:20230410074654Z07'46'").orElseThrow();
    assertThat(malformed.offsetText()).isEqualTo("Z07'46'");
    assertThat(malformed.local()).isEqualTo(LocalDateTime.parse("2023-04-10T07:46:54"));
    assertThat(malformed.instant()).isEqualTo(Instant.parse("2023-04-10T07:46:54Z"));

    assertThat(PdfDate.parse("D:20240101+05'30").orElseThrow().instant())
        .isEqualTo(Instant.parse("2023-12-31T18:30:00Z"));
  }

  @Test
  void partialAndBrokenDates() {
    assertThat(PdfDate.parse("D:2021").orElseThrow().local())
        .isEqualTo(LocalDateTime.parse("2021-01-01T00:00:00"));
    assertThat(PdfDate.parse("yesterday")).isEmpty();
    assertThat(PdfDate.parse("D:20211399000000")).isEmpty(); // month 13
    assertThat(PdfDate.parse(null)).isEmpty();
  }
}
