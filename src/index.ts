/** The public library API: everything the CLI does is callable from here. */
export { UserError } from './errors.ts';
export { fetchWeights, selectOfficialFiles, sourceUrl, OFFICIAL_FILES, MODELS_DIR } from './models/fetch.ts';
export type { FetchWeightsOptions, FetchedFile, OfficialFile, WeightsSelection } from './models/fetch.ts';
export { downloadVerified, md5File } from './util/download.ts';
export type { DownloadEvent, DownloadOptions, DownloadStatus, RemoteFile } from './util/download.ts';
export { readKerasFile, writeLegacyWeights, modelWeights, loadWeights } from './keras/index.ts';
export type { KerasFile, KerasFileFormat, LayerWeights, WeightTensor, LoadReport, LoadWeightsOptions, WriteLegacyOptions } from './keras/index.ts';
export { loadKerasModel } from './keras/load-model.ts';
export { modelFromKerasConfig, type ModelConfigOptions } from './keras/model-config.ts';
export { saveKerasModel, type SaveKerasModelOptions } from './keras/write-model.ts';
export { initBackend, initBackendFromCli, backendReport, parseBackendPreference, BACKEND_NAMES, BACKEND_ENV } from './backend/index.ts';
export type { BackendName, BackendPreference, BackendInfo, BackendReport, BackendStatus } from './backend/index.ts';
export { diagnose, type Diagnosis, type DiagnoseOptions, type WeightsFileStatus } from './backend/doctor.ts';
