import test from 'ava';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { featureCacheDir, kerasModelsDir, modelsDir, transferkitHome } from '../src/util/user-dirs.ts';

test('the home folder: TRANSFERKIT_HOME, else $XDG_CACHE_HOME/transferkit, else ~/.cache/transferkit', (t) => {
  t.is(transferkitHome({ TRANSFERKIT_HOME: '/data/tk', XDG_CACHE_HOME: '/xdg' }), '/data/tk');
  t.is(transferkitHome({ XDG_CACHE_HOME: '/xdg' }), '/xdg/transferkit');
  t.is(transferkitHome({}), join(homedir(), '.cache', 'transferkit'));
  t.is(transferkitHome({ TRANSFERKIT_HOME: '', XDG_CACHE_HOME: '' }), join(homedir(), '.cache', 'transferkit'), 'empty values count as unset');
});

test('weights and features sit under the home folder; TRANSFERKIT_MODELS_DIR moves the weights alone', (t) => {
  t.is(modelsDir({ TRANSFERKIT_HOME: '/data/tk' }), '/data/tk/models');
  t.is(featureCacheDir({ TRANSFERKIT_HOME: '/data/tk' }), '/data/tk/features');
  t.is(modelsDir({ TRANSFERKIT_HOME: '/data/tk', TRANSFERKIT_MODELS_DIR: '/shared/models' }), '/shared/models');
  t.is(featureCacheDir({ TRANSFERKIT_HOME: '/data/tk', TRANSFERKIT_MODELS_DIR: '/shared/models' }), '/data/tk/features');
});

test("Keras's download folder: $KERAS_HOME/models, else ~/.keras/models", (t) => {
  t.is(kerasModelsDir({ KERAS_HOME: '/k' }), '/k/models');
  t.is(kerasModelsDir({}), join(homedir(), '.keras', 'models'));
});
