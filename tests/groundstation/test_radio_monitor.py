"""The radio panel's model: spectra against scipy.signal.welch, frames decoded from a loopback
radio's RX stream (through the station's own modem), Doppler against tracking.look's textbook
formulas checked by hand."""

from datetime import UTC, datetime

import numpy as np
import pytest
from scipy.signal import welch

from groundstation.radio_monitor import (
    FFT_SIZE,
    SPECTRUM_AVERAGES,
    RxMonitor,
    SpectrumAnalyzer,
    doppler_view,
    frame_line,
)
from radios.ax25 import Frame
from radios.loopback import LoopbackRadio
from radios.packet_modem import PacketModem
from radios.sdr import RadioSettings
from tracking.geometry import GroundLocation
from tracking.walker import walker_delta

SAMPLE_RATE_HZ = 96_000.0
SPECTRUM_TOLERANCE_DB = 1e-6
SPEED_OF_LIGHT_M_S = 299_792_458.0
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_spectrum_is_welchs_periodogram_and_the_tone_is_in_its_bin():
    rng = np.random.default_rng(1)
    n = FFT_SIZE * SPECTRUM_AVERAGES
    t = np.arange(n) / SAMPLE_RATE_HZ
    tone_hz = 12_000.0
    iq = (
        0.5 * np.exp(2j * np.pi * tone_hz * t) + 0.01 * (rng.normal(size=n) + 1j * rng.normal(size=n))
    ).astype(np.complex64)
    analyzer = SpectrumAnalyzer(SAMPLE_RATE_HZ)
    assert analyzer.feed(iq[:1000]) == 0  # not a whole block yet
    assert analyzer.feed(iq[1000:]) == SPECTRUM_AVERAGES
    freqs, reference = welch(
        iq.astype(np.complex128), SAMPLE_RATE_HZ, window="hann", nperseg=FFT_SIZE, noverlap=0,
        return_onesided=False, scaling="spectrum", detrend=False,
    )  # fmt: skip
    order = np.argsort(freqs)
    np.testing.assert_allclose(analyzer.offsets_hz, freqs[order])
    np.testing.assert_allclose(
        analyzer.trace_db(), 10 * np.log10(reference[order]), atol=SPECTRUM_TOLERANCE_DB
    )
    peak = analyzer.offsets_hz[np.argmax(analyzer.trace_db())]
    assert abs(peak - tone_hz) <= SAMPLE_RATE_HZ / FFT_SIZE
    assert analyzer.waterfall.shape[1] == FFT_SIZE
    assert np.argmax(analyzer.waterfall[-1]) == np.argmax(analyzer.trace_db())


def test_frames_sent_through_a_loopback_radio_are_decoded_from_what_the_panel_reads():
    settings = RadioSettings(SAMPLE_RATE_HZ, 435.8e6)
    radio = LoopbackRadio(settings)
    radio.open()
    radio.start_rx(T0)
    try:
        monitor = RxMonitor(radio)
        sent = [Frame.ui("NODE1", "GSNET", f"beacon {i}".encode()) for i in range(3)]
        PacketModem(radio).send(sent)
        assert radio.wait_tx_done(10.0)
        frames = []
        for _ in range(50):
            update = monitor.step()
            frames.extend(update.frames)
            if len(frames) == len(sent):
                break
        frames.extend(monitor.modem.flush())
        assert [f.frame for f in frames] == sent
        assert monitor.analyzer.spectra > 0
        assert update.frequency_hz[FFT_SIZE // 2] == pytest.approx(435.8e6)
        assert frame_line(frames[0], T0).startswith("12:00:00Z  NODE1>GSNET  8 B")
    finally:
        radio.close()


def test_doppler_follows_the_range_rate():
    node = walker_delta(24, 4, 1, 550.0, 53.0, T0)[5]
    station = GroundLocation("Delft", 51.999, 4.3733, 0.0)
    view = doppler_view(node, station, T0, 435.8e6, 145.9e6)
    # Receding (range rate > 0) lowers what we hear and raises what we must send, and back.
    assert view.downlink_hz == pytest.approx(
        435.8e6 * (1 - view.range_rate_m_s / SPEED_OF_LIGHT_M_S), abs=1e-3
    )
    assert view.uplink_hz == pytest.approx(145.9e6 / (1 - view.range_rate_m_s / SPEED_OF_LIGHT_M_S), abs=1e-3)
    assert abs(view.range_rate_m_s) < 8_000.0
    assert "RX 435." in view.text(435.8e6, 145.9e6)
